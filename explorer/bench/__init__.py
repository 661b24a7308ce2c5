"""``python -m explorer.bench``: DataLoader Explorer measured side by side with the bare
alternatives, each figure against its goal. Ratios of medians, taken in one run."""
