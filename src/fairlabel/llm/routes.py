"""Model endpoints API: an organization's endpoints (members see them; owners and managers
register, change, test and remove them) and a project's model usage and cost."""

from fastapi import APIRouter, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from fairlabel.auth import policies as auth_policies
from fairlabel.auth.policies import Principal
from fairlabel.db import Database
from fairlabel.deps import CurrentPrincipal, DatabaseDep, SessionDep
from fairlabel.errors import NotFound
from fairlabel.llm import generation, policies, service, usage
from fairlabel.llm.client import CallResult, EndpointConfig
from fairlabel.llm.schemas import (
    ConnectionTest,
    EndpointCreate,
    EndpointOut,
    EndpointUpdate,
    ProjectUsage,
    TestError,
)
from fairlabel.models import ModelEndpoint
from fairlabel.projects import service as project_service

router = APIRouter(tags=["model endpoints"])


@router.get("/organizations/{organization_id}/model-endpoints", operation_id="list_model_endpoints")
def list_endpoints(
    organization_id: int, principal: CurrentPrincipal, db: SessionDep
) -> list[EndpointOut]:
    policies.view_endpoints(principal, organization_id)
    return [service.describe(e) for e in service.list_endpoints(db, organization_id)]


@router.post(
    "/organizations/{organization_id}/model-endpoints",
    operation_id="create_model_endpoint",
    status_code=status.HTTP_201_CREATED,
)
def create_endpoint(
    organization_id: int, body: EndpointCreate, principal: CurrentPrincipal, db: SessionDep
) -> EndpointOut:
    policies.manage_endpoints(principal, organization_id)
    return service.describe(service.create_endpoint(db, organization_id, body, principal.id))


@router.get("/model-endpoints/{endpoint_id}", operation_id="get_model_endpoint")
def get_endpoint(endpoint_id: int, principal: CurrentPrincipal, db: SessionDep) -> EndpointOut:
    return service.describe(_visible(db, principal, endpoint_id))


@router.patch("/model-endpoints/{endpoint_id}", operation_id="update_model_endpoint")
def update_endpoint(
    endpoint_id: int, body: EndpointUpdate, principal: CurrentPrincipal, db: SessionDep
) -> EndpointOut:
    endpoint = _managed(db, principal, endpoint_id)
    return service.describe(service.update_endpoint(db, endpoint, body))


@router.delete(
    "/model-endpoints/{endpoint_id}",
    operation_id="delete_model_endpoint",
    status_code=status.HTTP_204_NO_CONTENT,
)
def delete_endpoint(endpoint_id: int, principal: CurrentPrincipal, db: SessionDep) -> Response:
    service.delete_endpoint(db, _managed(db, principal, endpoint_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/model-endpoints/{endpoint_id}/test", operation_id="test_model_endpoint")
async def test_endpoint(
    endpoint_id: int, principal: CurrentPrincipal, database: DatabaseDep
) -> ConnectionTest:
    """A one-token completion. A failing endpoint is an answer, not an error of this
    request: 200 with `ok: false` and the failure's code. The request's own session is
    never opened, so no transaction waits on the model."""
    config = await run_in_threadpool(managed_config, database, principal, endpoint_id)
    return connection_test(await generation.test_connection(database, config))


@router.get("/projects/{project_id}/model-usage", operation_id="get_project_model_usage")
def project_usage(project_id: int, principal: CurrentPrincipal, db: SessionDep) -> ProjectUsage:
    auth_policies.read_project_data(principal, project_service.get_project(db, project_id))
    return usage.project_usage(db, project_id)


def managed_config(database: Database, principal: Principal, endpoint_id: int) -> EndpointConfig:
    with database.session(write=False) as db:
        return service.endpoint_config(db, _managed(db, principal, endpoint_id))


def connection_test(result: CallResult) -> ConnectionTest:
    error = result.error
    return ConnectionTest(
        ok=result.ok,
        model=result.endpoint.model,
        latency_ms=round(result.latency_ms, 1),
        first_token_ms=None if result.first_token_ms is None else round(result.first_token_ms, 1),
        error=None
        if error is None
        else TestError(
            code=error.code, message=error.message, upstream_status=error.upstream_status
        ),
    )


def _visible(db: Session, principal: Principal, endpoint_id: int) -> ModelEndpoint:
    endpoint = service.get_endpoint(db, endpoint_id)
    try:
        policies.view_endpoints(principal, endpoint.organization_id)
    except NotFound:
        raise service.endpoint_not_found(endpoint_id) from None
    return endpoint


def _managed(db: Session, principal: Principal, endpoint_id: int) -> ModelEndpoint:
    endpoint = _visible(db, principal, endpoint_id)
    policies.manage_endpoints(principal, endpoint.organization_id)
    return endpoint
