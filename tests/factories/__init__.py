"""Small builders of test inputs, one module per concern."""
