"""OpenPbR: Payment by Results for NHS mental health care clusters and other results-paid services."""

__version__ = "0.1.0"
