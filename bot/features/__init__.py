"""Feature modules: each package exposes ``install(app)`` (see bot/app.py)."""
