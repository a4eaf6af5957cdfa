"""Model endpoints: OpenAI-compatible chat-completions servers an organization registers,
the client that streams completions from them, and the record of every call."""
