"""The opening of issue 5's flow, shared by its API test and its browser test: a project
refused activation below the pay floor and while unfunded, raised, funded and activated,
all through the API (the client's project form is its own test)."""

from typing import Any

from tests.factories import Account, Factory
from tests.pay.helpers import add_floor


def project_raised_to_the_floor(factory: Factory, **project: Any) -> tuple[Account, dict[str, Any]]:
    """The owner and the active project, open to Kenya only, reviewed, paying 0.60 USD an
    item of a minute after starting at 0.05 (3.00 an hour, under the 6.00 floor)."""
    add_floor(factory.database, "KE", "USD", 600)  # 6.00 an hour, in the project's currency
    owner, org_id = factory.owner()
    created = factory.project(
        owner,
        org_id,
        status="draft",
        rates={"label": 5, "review": 5},
        estimated_seconds=60,  # 5 cents a minute: 3.00 an hour, under the floor
        workflow=[{"stage": "review", "sample_rate": 1.0}],
        eligibility={"countries": ["KE"], "languages": [], "qualifications": []},
        **project,
    )
    url = f"/api/projects/{created['id']}"
    below = owner.patch(url, json={"status": "active"})
    assert below.status_code == 422, below.text
    assert "KE" in below.text
    assert owner.patch(url, json={"rates": {"label": 60, "review": 6}}).status_code == 200
    unfunded = owner.patch(url, json={"status": "active"})
    assert unfunded.status_code == 422 and "fund" in unfunded.text.lower()
    funded = owner.post(f"{url}/funding", json={"amount_minor": 1_000, "currency": "USD"})
    assert funded.status_code == 201, funded.text
    activated = owner.patch(url, json={"status": "active"})
    assert activated.status_code == 200, activated.text
    return owner, activated.json()
