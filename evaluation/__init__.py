"""Measured understanding: the held-out set through the real stack, reports and quality gates."""
