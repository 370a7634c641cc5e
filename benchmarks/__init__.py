"""Benchmarks run on demand (make benchmark-nlu, make benchmark-load); only their smoke runs are part of make test."""
