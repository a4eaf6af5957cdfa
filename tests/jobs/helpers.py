"""Waiting for a job through the API, as a client polls it."""

import time
from typing import Any

from tests.factories import Account

#: Generous for a loaded 2-core machine; a job here takes well under a second.
WAIT_SECONDS = 30


def wait_for_job(
    account: Account, job_id: int, until: tuple[str, ...] = ("succeeded", "failed")
) -> dict[str, Any]:
    """Poll GET /api/jobs/{id} until the job reaches one of `until`; fails after a bound."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        response = account.get(f"/api/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in until:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}: {job}"
        time.sleep(0.02)


def recompute(account: Account, project_id: int, **params: Any) -> dict[str, Any]:
    """Start a consensus recompute (202 with Location) and wait for it; returns the job."""
    response = account.post(f"/api/projects/{project_id}/consensus", params=params)
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/api/jobs/{job['id']}"
    assert job["kind"] == "consensus" and job["status"] in ("queued", "running", "succeeded")
    return wait_for_job(account, job["id"])
