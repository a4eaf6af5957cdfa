"""API shapes for model endpoints, their test connection and the model usage of a project.
Prices are decimal numbers of the currency's major unit per million tokens (0.15 is
fifteen cents a million), with at most six decimals."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MICROS = Decimal(1_000_000)
CURRENCY_PATTERN = r"^[A-Z]{3}$"
Price = Annotated[Decimal, Field(ge=0, le=1000, decimal_places=6)]
StopSequence = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ModelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class SamplingParams(BaseModel):
    """Sampling parameters with the ranges the OpenAI API accepts; a field left out is left
    to the server's own default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    stop: list[StopSequence] | None = Field(default=None, max_length=4)

    def merged(self, override: "SamplingParams | None") -> "SamplingParams":
        """These defaults with every field `override` sets put over them."""
        if override is None:
            return self
        return self.model_copy(update=override.model_dump(exclude_unset=True))

    def request_fields(self) -> dict[str, Any]:
        """The fields to send: the ones that are set (a server rejects a null `stop`)."""
        return {k: v for k, v in self.model_dump().items() if v is not None and v != []}


class EndpointSettings(BaseModel):
    """Fields shared by create and update."""

    model_config = ConfigDict(extra="forbid")

    sampling: SamplingParams | None = None
    max_concurrency: int | None = Field(
        default=None, ge=1, le=256, description="calls in flight at once, per server process"
    )
    timeout_seconds: float | None = Field(
        default=None,
        ge=0.1,
        le=600,
        description="longest wait for the endpoint to answer, and between two pieces of a "
        "streamed reply",
    )
    max_retries: int | None = Field(
        default=None, ge=0, le=5, description="retries, with backoff, of a 408, 429 or 5xx"
    )
    currency: str | None = Field(default=None, pattern=CURRENCY_PATTERN, description="ISO 4217")
    input_price_per_million: Price | None = None
    output_price_per_million: Price | None = None


class EndpointCreate(EndpointSettings):
    name: Name
    base_url: str = Field(
        min_length=1, max_length=500, description="where /chat/completions is served"
    )
    model: ModelName
    api_key: str | None = Field(
        default=None,
        description="optional (local servers often need none); stored encrypted, never "
        "shown, and never echoed in an error (so its form is checked by the service)",
    )


class EndpointUpdate(EndpointSettings):
    """Fields left out are kept; `api_key: null` removes the key."""

    name: Name | None = None
    base_url: str | None = Field(default=None, min_length=1, max_length=500)
    model: ModelName | None = None
    api_key: str | None = None


class EndpointOut(BaseModel):
    id: int
    organization_id: int
    name: str
    base_url: str
    model: str
    api_key_set: bool
    api_key_last4: str | None = Field(
        description="the key's last four characters, for keys of 12 characters or more"
    )
    sampling: SamplingParams
    max_concurrency: int
    timeout_seconds: float
    max_retries: int
    currency: str
    input_price_per_million: Decimal
    output_price_per_million: Decimal
    created_at: datetime
    updated_at: datetime


class TestError(BaseModel):
    code: str
    message: str
    upstream_status: int | None = None


class ConnectionTest(BaseModel):
    """The outcome of a one-token completion; a failure is an answer too, with its code."""

    ok: bool
    model: str
    latency_ms: float
    first_token_ms: float | None
    error: TestError | None = None


class EndpointUsage(BaseModel):
    endpoint_id: int | None = Field(description="null once the endpoint was removed")
    endpoint_name: str
    model: str
    calls: int
    failed: int
    tokens_in: int
    tokens_out: int
    calls_without_usage: int = Field(description="calls whose server reported no token counts")
    currency: str
    cost: Decimal
    mean_latency_ms: float | None
    mean_first_token_ms: float | None


class ProjectUsage(BaseModel):
    project_id: int
    calls: int
    tokens_in: int
    tokens_out: int
    cost: dict[str, Decimal] = Field(description="by currency")
    endpoints: list[EndpointUsage]


Purpose = Literal["test", "candidate", "generation"]
