"""Residency: patient images and the services holding them stay in the UK."""
