"""Benchmarks run on demand (make benchmark-nlu); never part of make test."""
