"""A fake WeChat API server (server.py) and its state and rules (state.py)."""
