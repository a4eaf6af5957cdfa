"""fairlabel: open data engine for human-labelled AI training data."""
