"""Shared test helpers (gradient checks, …) reused across the test suite."""
