"""Helpers shared by the actions of several features."""
