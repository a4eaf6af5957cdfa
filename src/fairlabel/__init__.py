"""fairlabel: open data engine for human-labelled AI training data.

The package's public names are the SDK's: `Client` and `ApiError`."""

from fairlabel.sdk import ApiError, Client

__all__ = ["ApiError", "Client"]
__version__ = "0.1.0"
