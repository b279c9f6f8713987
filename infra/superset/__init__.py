"""Superset in the local stack: its config, first-start bootstrap and the gunicorn server."""
