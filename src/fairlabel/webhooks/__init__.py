"""Webhooks: signed events POSTed to an organization's receivers when a job, an
evaluation or a project finishes, and when a leaderboard's order changes."""
