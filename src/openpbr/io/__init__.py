"""Files in and out: declared tables, one strict reader, safe writers."""
