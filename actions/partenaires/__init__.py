"""Becoming a partner: orientation, registration with consent, withdrawal and erasure."""
