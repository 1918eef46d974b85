"""Supply chain: software comes only from the approved national registry, pinned."""
