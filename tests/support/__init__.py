"""Shared helpers of the test suite, imported by the test modules (none of them is a test module)."""
