"""The record of model calls: one row per call, written in a transaction of its own (a
call costs tokens whether or not the request that made it succeeds), and each project's
usage and cost from those rows. A call's cost uses the prices it was made at."""

from decimal import Decimal

import anyio.to_thread
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from fairlabel.db import Database
from fairlabel.llm.client import CallResult, Recorder
from fairlabel.llm.schemas import MICROS, EndpointUsage, ProjectUsage
from fairlabel.models import CallStatus, ModelCall

#: Token counts times prices in millionths per million tokens: 10^12 per major unit.
PER_MAJOR = MICROS * MICROS
COST_PLACES = Decimal("0.000001")


def record(database: Database, result: CallResult, project_id: int | None, purpose: str) -> int:
    endpoint = result.endpoint
    with database.session() as db:
        call = ModelCall(
            organization_id=endpoint.organization_id,
            endpoint_id=endpoint.id,
            project_id=project_id,
            endpoint_name=endpoint.name,
            model=endpoint.model,
            purpose=purpose,
            status=result.status,
            error_code=result.error.code if result.error else None,
            error_message=result.error.message if result.error else None,
            started_at=result.started_at,
            queue_ms=result.queue_ms,
            latency_ms=result.latency_ms,
            first_token_ms=result.first_token_ms,
            tokens_in=result.tokens_in,
            tokens_out=result.tokens_out,
            currency=endpoint.currency,
            input_price_micros=endpoint.input_price_micros,
            output_price_micros=endpoint.output_price_micros,
        )
        db.add(call)
        db.flush()
        return call.id


def recorder(database: Database, project_id: int | None, purpose: str) -> Recorder:
    """Records each result from a worker thread, off the event loop."""

    async def write(result: CallResult) -> None:
        await anyio.to_thread.run_sync(record, database, result, project_id, purpose)

    return write


def project_usage(db: Session, project_id: int) -> ProjectUsage:
    c = ModelCall
    rows = db.execute(
        select(
            c.endpoint_id,
            c.endpoint_name,
            c.model,
            c.currency,
            func.count(),
            func.sum(case((c.status == CallStatus.failed, 1), else_=0)),
            func.coalesce(func.sum(c.tokens_in), 0),
            func.coalesce(func.sum(c.tokens_out), 0),
            func.sum(case((c.tokens_out.is_(None), 1), else_=0)),
            func.coalesce(
                func.sum(
                    func.coalesce(c.tokens_in, 0) * c.input_price_micros
                    + func.coalesce(c.tokens_out, 0) * c.output_price_micros
                ),
                0,
            ),
            func.avg(c.latency_ms),
            func.avg(c.first_token_ms),
        )
        .where(c.project_id == project_id)
        .group_by(c.endpoint_id, c.endpoint_name, c.model, c.currency)
        .order_by(c.endpoint_name, c.model)
    ).all()
    endpoints = [_endpoint_usage(*row) for row in rows]
    cost: dict[str, Decimal] = {}
    for usage in endpoints:
        cost[usage.currency] = cost.get(usage.currency, Decimal(0)) + usage.cost
    return ProjectUsage(
        project_id=project_id,
        calls=sum(u.calls for u in endpoints),
        tokens_in=sum(u.tokens_in for u in endpoints),
        tokens_out=sum(u.tokens_out for u in endpoints),
        cost=cost,
        endpoints=endpoints,
    )


def _endpoint_usage(
    endpoint_id: int | None,
    name: str,
    model: str,
    currency: str,
    calls: int,
    failed: int,
    tokens_in: int,
    tokens_out: int,
    without_usage: int,
    cost_units: int,
    mean_latency: float | None,
    mean_first_token: float | None,
) -> EndpointUsage:
    return EndpointUsage(
        endpoint_id=endpoint_id,
        endpoint_name=name,
        model=model,
        calls=calls,
        failed=int(failed or 0),
        tokens_in=int(tokens_in),
        tokens_out=int(tokens_out),
        calls_without_usage=int(without_usage or 0),
        currency=currency,
        cost=(Decimal(int(cost_units)) / PER_MAJOR).quantize(COST_PLACES),
        mean_latency_ms=None if mean_latency is None else round(float(mean_latency), 1),
        mean_first_token_ms=None if mean_first_token is None else round(float(mean_first_token), 1),
    )


def last_tests(db: Session, endpoint_ids: list[int]) -> dict[int, ModelCall]:
    """Each endpoint's latest test connection, for the endpoints page."""
    if not endpoint_ids:
        return {}
    latest = (
        select(func.max(ModelCall.id))
        .where(ModelCall.endpoint_id.in_(endpoint_ids), ModelCall.purpose == "test")
        .group_by(ModelCall.endpoint_id)
    )
    rows = db.scalars(select(ModelCall).where(ModelCall.id.in_(latest)))
    return {call.endpoint_id: call for call in rows if call.endpoint_id is not None}
