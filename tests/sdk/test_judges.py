"""The Python SDK's judge methods against a real uvicorn server, the judge's endpoint on
the stand-in OpenAI-compatible server (a real process standing in for a model server,
since no model weights can be loaded here)."""

import pytest

from fairlabel import ApiError, Client
from tests.evaluation.judging import battle_items
from tests.evaluation.test_leaderboard_api import QUESTIONS
from tests.factories import Factory
from tests.llm.standin import StandIn, unique_model


def test_a_client_judges_its_battles_and_reads_the_agreement(
    factory: Factory, live_server: str, standin: StandIn
) -> None:
    owner, org_id = factory.owner()
    with Client(live_server, owner.token) as client:
        endpoint = client.create_model_endpoint(
            org_id, "referee", standin.base_url, unique_model("judge=longer"), max_retries=0
        )
        project = client.create_project(org_id, "Battles", questions=QUESTIONS)
        client.import_items(
            project["id"],
            [{"external_id": i.pop("external_id"), "fields": i} for i in battle_items()],
        )
        judge = client.create_judge(project["id"], "referee", endpoint["id"])
        result = client.run_judge(judge["id"], timeout=60, interval=0.05)
        assert (result["ok"], result["unparseable"], result["routed"]) == (10, 0, 0)
        assert len(client.judge_verdicts(judge["id"], status="ok")) == 10
        agreement = client.judge_agreement(judge["id"], bootstrap=0)
        assert agreement["swap"]["rate"] == 1.0
        compared = client.compare_versions(project["id"], "m1", "m2", source="judge")
        assert (compared["overall"]["battles"], compared["overall"]["win_rate"]) == (2, 0.0)
        with pytest.raises(ApiError) as refused:
            client.rubric_scores(project["id"])
        assert refused.value.status_code == 422 and refused.value.field == "question"
