"""Archive safety: images and their index cannot be lost, altered, or read in clear."""
