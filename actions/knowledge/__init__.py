"""Answers read from ``knowledge/``."""
