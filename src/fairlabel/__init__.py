"""fairlabel: open data engine for human-labelled AI training data.

The package's public names are the SDK's: `Client`, `ApiError` and `JobFailed`."""

from fairlabel.sdk import ApiError, Client, JobFailed

__all__ = ["ApiError", "Client", "JobFailed"]
__version__ = "0.1.0"
