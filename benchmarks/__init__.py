"""Reproducible performance and quality benchmarks; `make bench` runs them all."""
