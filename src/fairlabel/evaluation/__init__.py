"""Model evaluation: leaderboards fitted to pairwise votes between models."""
