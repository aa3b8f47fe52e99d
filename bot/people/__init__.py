"""People: the certificate registry import, resident registration, certificate status (see api.py)."""
