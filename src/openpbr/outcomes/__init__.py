"""OpenPbR outcomes."""
