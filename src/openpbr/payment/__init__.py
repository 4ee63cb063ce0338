"""OpenPbR payment."""
