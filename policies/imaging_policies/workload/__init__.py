"""Workload hardening: every pod meets the Pod Security Standard "restricted"."""
