"""Prompts written to a brief: their near-duplicates among the project's earlier prompts."""
