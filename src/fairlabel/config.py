"""Settings: one object, read from FAIRLABEL_* environment variables."""

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Deployment settings; the embedded SQLite database under `data_dir` is the default."""

    model_config = SettingsConfigDict(env_prefix="FAIRLABEL_", env_file=None, extra="ignore")

    data_dir: Path = Path("fairlabel-data")
    database_url: str | None = None
    secret_key: str = "dev-insecure-change-me"
    session_days: int = 14
    max_upload_bytes: int = Field(default=2 * 1024**3, description="largest accepted upload")
    max_media_bytes: int = Field(default=512 * 1024**2, description="largest single media file")
    cookie_secure: bool = False
    import_batch_rows: int = 5000

    @cached_property
    def resolved_database_url(self) -> str:
        """The configured URL, or an SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fairlabel.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
