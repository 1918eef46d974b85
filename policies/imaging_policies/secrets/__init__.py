"""Secrets: no credential is ever written where it can be read in clear."""
