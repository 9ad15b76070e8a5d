"""Staff-side fixtures. The helpers (TOTP codes, logging in, the case world) are in tests/helpers.py."""
