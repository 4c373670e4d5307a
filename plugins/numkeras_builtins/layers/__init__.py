"""Built-in layers, one module per family; each class is registered by its own entry point."""
