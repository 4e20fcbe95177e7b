"""Runicorn."""
