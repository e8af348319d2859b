"""Platforms the bot talks on: Matrix (``matrix/``) and the terminal chat (``chat.py``). An
adapter turns the platform's messages into ``Incoming`` for the brain and delivers its
``Reply`` objects; nothing in the brain or the features knows which platform is in use."""
