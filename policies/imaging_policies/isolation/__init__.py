"""Isolation: trusts are separated from each other and from the networks around them."""
