"""Identity: tenants get least privilege and cannot widen it."""
