"""Humans and models together: model suggestions that pre-fill a worker's answers."""
