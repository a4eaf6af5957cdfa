"""Live chat turns of the `chat` question type: candidates streamed from model endpoints."""
