"""Production monitoring: a client's production conversations sampled by rate and stratum
into a review project, and the share that reviewers flag, per day."""
