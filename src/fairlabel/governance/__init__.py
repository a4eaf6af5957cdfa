"""Platform terms and collective governance: Fairwork thresholds 3.1 and 5.2."""
