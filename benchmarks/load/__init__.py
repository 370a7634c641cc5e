"""``make benchmark-load``: the whole stack against the bare engine, side by side."""
