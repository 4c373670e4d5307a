"""numkeras's built-in components, registered through entry points exactly as a third-party plugin's.

Nothing imports this package directly: each component is found by name through
its entry point (see ``pyproject.toml``), and its module is imported on first use.
"""
