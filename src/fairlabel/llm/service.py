"""Model endpoints: registration with its checks (the URL's form, where it points, the
key's form), the stored key encrypted, and the plain configuration a call is made with."""

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from fairlabel.config import Settings
from fairlabel.db import settings_of
from fairlabel.errors import Conflict, NotFound
from fairlabel.llm import addresses, keys
from fairlabel.llm.client import EndpointConfig
from fairlabel.llm.schemas import (
    MICROS,
    EndpointCreate,
    EndpointOut,
    EndpointSettings,
    EndpointUpdate,
    SamplingParams,
)
from fairlabel.models import ModelEndpoint

DEFAULTS = {"max_concurrency": 4, "timeout_seconds": 60.0, "max_retries": 2, "currency": "USD"}


def list_endpoints(db: Session, organization_id: int) -> list[ModelEndpoint]:
    query = select(ModelEndpoint).where(ModelEndpoint.organization_id == organization_id)
    return list(db.scalars(query.order_by(ModelEndpoint.name)))


def get_endpoint(db: Session, endpoint_id: int) -> ModelEndpoint:
    endpoint = db.get(ModelEndpoint, endpoint_id)
    if endpoint is None:
        raise endpoint_not_found(endpoint_id)
    return endpoint


def endpoint_not_found(endpoint_id: int) -> NotFound:
    return NotFound(
        "no such model endpoint",
        field="endpoint_id",
        value=endpoint_id,
        expected="a model endpoint of your organization",
    )


def create_endpoint(
    db: Session, organization_id: int, body: EndpointCreate, actor_id: int | None
) -> ModelEndpoint:
    """Every check runs before anything is added, so a refusal stores nothing."""
    settings = settings_of(db)
    base_url = checked_url(settings, body.base_url)
    api_key = keys.clean(body.api_key)
    _name_free(db, organization_id, body.name, None)
    endpoint = ModelEndpoint(
        organization_id=organization_id,
        name=body.name,
        base_url=base_url,
        model=body.model,
        created_by_id=actor_id,
        sampling={},
        **DEFAULTS,
    )
    _apply_settings(endpoint, body)
    _set_key(endpoint, settings, api_key)
    db.add(endpoint)
    db.flush()
    return endpoint


def update_endpoint(db: Session, endpoint: ModelEndpoint, body: EndpointUpdate) -> ModelEndpoint:
    """The fields sent replace the stored ones (`sampling` as a whole); `api_key: null`
    removes the key, leaving it out keeps it."""
    settings = settings_of(db)
    sent = body.model_fields_set
    base_url = checked_url(settings, body.base_url) if body.base_url is not None else None
    api_key = keys.clean(body.api_key) if "api_key" in sent else None
    if body.name is not None and body.name != endpoint.name:
        _name_free(db, endpoint.organization_id, body.name, endpoint.id)
    for name in ("name", "model"):
        value = getattr(body, name)
        if value is not None:
            setattr(endpoint, name, value)
    if base_url is not None:
        endpoint.base_url = base_url
    _apply_settings(endpoint, body)
    if "api_key" in sent:
        _set_key(endpoint, settings, api_key)
    db.flush()
    return endpoint


def delete_endpoint(db: Session, endpoint: ModelEndpoint) -> None:
    """The endpoint goes; the record of its calls stays (with its name, model and prices)."""
    db.delete(endpoint)
    db.flush()


def checked_url(settings: Settings, url: str) -> str:
    base_url = addresses.check_url(url)
    addresses.check_host(base_url, settings.llm_allow_private_endpoints)
    return base_url


def _name_free(db: Session, organization_id: int, name: str, endpoint_id: int | None) -> None:
    taken = db.scalar(
        select(ModelEndpoint.id).where(
            ModelEndpoint.organization_id == organization_id, ModelEndpoint.name == name
        )
    )
    if taken is not None and taken != endpoint_id:
        raise Conflict(
            "the organization has a model endpoint of this name",
            field="name",
            value=name,
            expected="a name not yet taken in the organization",
        )


def _apply_settings(endpoint: ModelEndpoint, body: EndpointSettings) -> None:
    if body.sampling is not None:
        endpoint.sampling = body.sampling.model_dump(exclude_none=True)
    for name in ("max_concurrency", "timeout_seconds", "max_retries", "currency"):
        value = getattr(body, name)
        if value is not None:
            setattr(endpoint, name, value)
    if body.input_price_per_million is not None:
        endpoint.input_price_micros = int(body.input_price_per_million * MICROS)
    if body.output_price_per_million is not None:
        endpoint.output_price_micros = int(body.output_price_per_million * MICROS)


def _set_key(endpoint: ModelEndpoint, settings: Settings, api_key: str | None) -> None:
    if api_key is None:
        endpoint.api_key_encrypted = None
        endpoint.api_key_last4 = None
        return
    endpoint.api_key_encrypted = keys.encrypt(
        settings.secret_key, endpoint.organization_id, api_key
    )
    endpoint.api_key_last4 = keys.last4(api_key)


def describe(endpoint: ModelEndpoint) -> EndpointOut:
    return EndpointOut(
        id=endpoint.id,
        organization_id=endpoint.organization_id,
        name=endpoint.name,
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key_set=endpoint.api_key_encrypted is not None,
        api_key_last4=endpoint.api_key_last4,
        sampling=SamplingParams.model_validate(endpoint.sampling),
        max_concurrency=endpoint.max_concurrency,
        timeout_seconds=endpoint.timeout_seconds,
        max_retries=endpoint.max_retries,
        currency=endpoint.currency,
        input_price_per_million=Decimal(endpoint.input_price_micros) / MICROS,
        output_price_per_million=Decimal(endpoint.output_price_micros) / MICROS,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def endpoint_config(db: Session, endpoint: ModelEndpoint) -> EndpointConfig:
    """What a call is made with: the key decrypted, the operator's address rule attached."""
    settings = settings_of(db)
    api_key = None
    if endpoint.api_key_encrypted is not None:
        api_key = keys.decrypt(
            settings.secret_key, endpoint.organization_id, endpoint.api_key_encrypted, endpoint.id
        )
    return EndpointConfig(
        id=endpoint.id,
        organization_id=endpoint.organization_id,
        name=endpoint.name,
        base_url=endpoint.base_url,
        model=endpoint.model,
        api_key=api_key,
        sampling=SamplingParams.model_validate(endpoint.sampling),
        max_concurrency=endpoint.max_concurrency,
        timeout_seconds=endpoint.timeout_seconds,
        max_retries=endpoint.max_retries,
        currency=endpoint.currency,
        input_price_micros=endpoint.input_price_micros,
        output_price_micros=endpoint.output_price_micros,
        allow_private=settings.llm_allow_private_endpoints,
    )


def organization_configs(
    db: Session, organization_id: int, endpoint_ids: Sequence[int]
) -> list[EndpointConfig]:
    """The configurations of these endpoints, in the order given (an id may repeat, for
    several samples of one model); an endpoint of another organization is not found."""
    found = {
        e.id: e
        for e in db.scalars(select(ModelEndpoint).where(ModelEndpoint.id.in_(set(endpoint_ids))))
        if e.organization_id == organization_id
    }
    missing = [i for i in endpoint_ids if i not in found]
    if missing:
        raise endpoint_not_found(missing[0])
    configs = {i: endpoint_config(db, e) for i, e in found.items()}
    return [configs[i] for i in endpoint_ids]
