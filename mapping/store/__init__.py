"""The store: submissions, reference lists, accounts and the current picture, through SQLAlchemy.

Owns the tables and migrations (`models`, `migrations`), the engine, acting user, permissions and audit (`db`),
submissions and rollback (`submissions`), organisations, rounds, boundary sets, aliases and need (`registry`),
accounts and sign-in (`auth`) and the consolidated picture (`picture`). Import each module by name; this
package re-exports nothing.
"""

__all__ = ["auth", "db", "models", "picture", "registry", "submissions"]
