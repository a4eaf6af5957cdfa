"""Settings: one object, read from FAIRLABEL_* environment variables."""

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: An origin a browser may load item media from: https://host[:port], or "https:" for any.
MEDIA_ORIGIN = re.compile(
    r"^(https?://[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?(:\d{1,5})?|https:)$"
)


class Settings(BaseSettings):
    """Deployment settings; the embedded SQLite database under `data_dir` is the default."""

    model_config = SettingsConfigDict(env_prefix="FAIRLABEL_", env_file=None, extra="ignore")

    data_dir: Path = Path("fairlabel-data")
    database_url: str | None = None
    secret_key: str = "dev-insecure-change-me"
    session_days: int = 14
    max_upload_bytes: int = Field(default=2 * 1024**3, description="largest accepted upload")
    max_media_bytes: int = Field(default=512 * 1024**2, description="largest single media file")
    max_image_pixels: int = Field(
        default=89_478_485,
        ge=1,
        description="largest image accepted, in pixels (width times height; Pillow's own default): "
        "a larger one is refused from its header, before it is decoded (a decompression bomb)",
    )
    sign_in_max_failures: int = Field(
        default=5,
        ge=0,
        description="failed sign-ins for one email address within sign_in_window_minutes that "
        "lock signing in with it for sign_in_lockout_minutes; 0: no lock",
    )
    sign_in_client_max_failures: int = Field(
        default=20,
        ge=0,
        description="failed sign-ins from one client address (an IPv6 /64) within the window "
        "that refuse every sign-in from it for the lockout, against password spraying; 0: none",
    )
    sign_in_window_minutes: int = Field(default=15, ge=1, description="how long failures count")
    sign_in_lockout_minutes: int = Field(default=15, ge=1, description="how long a lock lasts")
    cookie_secure: bool = Field(
        default=False,
        description="mark the cookies Secure on every response; without it they are Secure "
        "when the request came over https (as the server, or a trusted proxy, reports it)",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-Proto and X-Forwarded-For are believed (the scheme decides Secure "
        "cookies, the address is the client's); '*': any; '': none",
    )
    media_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="space- or comma-separated origins besides this server that item images, "
        "audio and video may load from in the browser (https://bucket.example.org; 'https:' "
        "for any); by default only media served by this server is shown",
    )
    import_batch_rows: int = 5000
    payout_minimum_minor: int = Field(
        default=100, ge=1, description="smallest approved balance a payout run pays out"
    )
    payout_every_days: int = Field(
        default=7,
        ge=0,
        description="the promised schedule: the pay sweep runs a payout in each currency whose "
        "last run is at least this old and has pay due; 0: only when an operator runs one",
    )
    pay_sweep_seconds: int = Field(
        default=300,
        ge=0,
        description="how often pay past its review deadline is approved and pay floors are "
        "checked against measured time, in the background; 0: never",
    )
    exposure_cap_per_day: int = Field(
        default=100,
        ge=1,
        description="risky items of one content category a worker may be given per UTC day; "
        "a project may only lower it",
    )
    break_after_risky_items: int = Field(
        default=10, ge=0, description="offer a break after this many risky items in a row; 0: never"
    )
    break_pause_minutes: int = Field(
        default=15, ge=1, description="a pause this long between risky items ends a stretch"
    )
    appeal_window_days: int = Field(default=14, description="how long a decision can be appealed")
    appeal_deadline_days: int = Field(
        default=7, description="an appeal not decided by then is decided for the worker"
    )
    sanction_notice_days: int = Field(
        default=7, description="notice before a sanction takes effect (none for proven fraud)"
    )
    work_end_notice_days: int = Field(
        default=14, description="least notice before a project, or its work in a country, ends"
    )
    complaint_link_days: int = Field(
        default=90, description="a sanction this soon after the worker's complaint is flagged"
    )
    due_process_sweep_seconds: int = Field(
        default=300, description="how often overdue appeals and due sanctions are settled; 0: never"
    )
    job_runner: str = Field(
        default="in-process",
        description="where long jobs run: 'in-process' (one background thread per server "
        "process), or 'package.module:factory' naming a callable that takes the Database and "
        "these Settings and returns a fairlabel.jobs.runner.Runner that hands job ids to a "
        "queue whose workers call fairlabel.jobs.runner.run_job",
    )
    job_progress_seconds: float = Field(
        default=0.5,
        ge=0,
        description="least time between two progress writes of a running job (each is a short "
        "transaction of its own); the last progress is always written when the job ends",
    )
    job_heartbeat_seconds: float = Field(
        default=10,
        gt=0,
        description="how often a running job's server records that it is still at work; a "
        "running job with no sign of life for 6 times this is marked failed as interrupted",
    )
    consensus_batch_rows: int = Field(
        default=5000,
        ge=1,
        description="consensus rows a recompute job writes per transaction: smaller holds "
        "the write lock for less time at once, larger finishes sooner",
    )
    # On by default: the common case is a self-hosted vLLM or Ollama on the same network or
    # machine, and it is the operator who decides. Turn it off where organizations are not
    # trusted with the server's network (a shared deployment); link-local and cloud
    # metadata addresses are refused either way.
    llm_allow_private_endpoints: bool = Field(
        default=True,
        description="whether model endpoint URLs may point at private and loopback addresses "
        "(10/8, 172.16/12, 192.168/16, 127/8, fc00::/7, ...), checked when an endpoint is "
        "registered and again at each connection; link-local and metadata addresses never",
    )
    webhook_timeout_seconds: float = Field(
        default=10, gt=0, le=120, description="how long a webhook receiver has to answer"
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, le=30, description="attempts at a webhook delivery before it fails"
    )
    webhook_retry_seconds: float = Field(
        default=30,
        gt=0,
        description="the wait before a webhook delivery's second attempt; each later wait "
        "doubles, up to webhook_retry_max_seconds",
    )
    webhook_retry_max_seconds: float = Field(
        default=6 * 3600, gt=0, description="the longest wait between two webhook attempts"
    )
    webhook_watch_seconds: float = Field(
        default=30,
        ge=0,
        description="how often the projects of organizations with webhook receivers are "
        "looked at for a finished project or a changed leaderboard order; 0: never",
    )

    @field_validator("media_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in re.split(r"[\s,]+", value) if part]
        if isinstance(value, list):
            bad = [v for v in value if not isinstance(v, str) or not MEDIA_ORIGIN.match(v)]
            if bad:
                raise ValueError(f"not an origin such as https://media.example.org: {bad}")
        return value

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
