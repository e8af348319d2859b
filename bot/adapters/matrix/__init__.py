"""The Matrix adapter (matrix-nio): see ``bot.py`` for the loop and its guarantees."""

from .bot import MatrixBot, run_matrix
from .formatting import HTML_ATTRIBUTES, HTML_TAGS, URL_SCHEMES, formatted_body, render_html, reply_content

__all__ = ["HTML_ATTRIBUTES", "HTML_TAGS", "MatrixBot", "URL_SCHEMES", "formatted_body", "render_html",
           "reply_content", "run_matrix"]
