"""OpenPbR records."""
