"""Monitoring: every cluster is watched and its audit trail reaches the national hub."""
