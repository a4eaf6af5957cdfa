"""A project of blind battles between three models over a number of prompts, voted by
workers through the queue, for the leaderboard page's tests (HTTP and browser)."""

import itertools
from typing import Any

from tests.exports.helpers import Built, build_project, work
from tests.factories import Factory

QUESTIONS = [{"name": "better", "type": "pairwise", "settings": {"field": "responses"}}]
MODELS = ("model-alpha", "model-beta", "model-gamma")
PAIRS = list(itertools.combinations(MODELS, 2))


def choice(prompt: int) -> str:
    """Mostly the first (stronger) model of the pair; every fourth a tie, every fifth an
    upset, so every model both wins and loses and the votes have a maximum-likelihood answer."""
    if prompt % 5 == 4:
        return "b"
    return "tie" if prompt % 4 == 3 else "a"


def items(prompts: int) -> list[dict[str, Any]]:
    rows = []
    for prompt in range(prompts):
        first, second = PAIRS[prompt % len(PAIRS)]
        rows.append(
            {
                "external_id": f"prompt-{prompt}",
                "category": "code" if prompt % 2 else "chat",
                "responses": [
                    {"id": "left", "model": first, "text": f"## {first}\n\n- a fuller answer"},
                    {"id": "right", "model": second, "text": f"{second}: short."},
                ],
            }
        )
    return rows


def voted_project(factory: Factory, prompts: int = 20, workers: int = 2) -> Built:
    """Every worker votes on every prompt (overlap = workers), each the same plan."""
    built = build_project(factory, QUESTIONS, items(prompts), overlap=workers)
    answers = {f"prompt-{p}": {"better": {"choice": choice(p)}} for p in range(prompts)}
    for _ in range(workers):
        worker = factory.worker()
        for _ in range(prompts):
            work(built, worker, answers)
    return built
