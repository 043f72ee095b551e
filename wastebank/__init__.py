"""wastebank: waste-bank and smart-waste management for Indonesian cities."""

from __future__ import annotations

__version__ = "0.1.0"

from wastebank.app import create_app

__all__ = ["__version__", "create_app"]
