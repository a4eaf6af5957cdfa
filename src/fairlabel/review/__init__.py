"""Review stages after labelling: verdicts with reasons, corrections and paid rework."""
