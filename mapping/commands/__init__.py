"""Sub-commands of `python -m mapping`, one module per concern; each exposes `register(subparsers)`."""
