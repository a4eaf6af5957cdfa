"""The published API description: every operation has a clean, unique snake_case id."""

import re

from fastapi.testclient import TestClient

OPERATION_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def test_operation_ids_are_clean_and_unique(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    ids = [
        operation["operationId"] for path in spec["paths"].values() for operation in path.values()
    ]
    assert len(ids) >= 20
    assert len(ids) == len(set(ids))
    bad = [i for i in ids if not OPERATION_ID.match(i)]
    assert bad == []


def test_api_paths_live_under_api(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert all(path.startswith("/api/") for path in spec["paths"])
    assert client.get("/api/docs").status_code == 200
