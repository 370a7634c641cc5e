"""External French NLU benchmark: our pipeline against the anchor (see run.py)."""
