"""WSGI entry point: ``gunicorn wsgi:app`` and ``flask --app wsgi ...``."""

from __future__ import annotations

from wastebank import create_app

app = create_app()
