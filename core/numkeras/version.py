"""The version of numkeras, in a module of its own so that any part of the core can read it
without importing the package that re-exports everything."""

__version__ = "0.1.0"
