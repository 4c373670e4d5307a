"""Built-in callbacks; each class is registered by its own entry point."""
