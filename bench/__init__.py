"""Benchmarks (`make bench`): render/audit/verify time, memory, and the SDK floor."""
