"""Synthetic safety reports, first-person accounts of abuse or exploitation that a trust and
safety team must route, for a demo project that declares a content risk: workers see it
only after opting in, within a daily cap. The accounts are short and never graphic."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

ROUTES = ["urgent_safety", "account_security", "community_moderation"]
RISK = "abuse"

_REPORTS = (
    (
        "urgent_safety",
        "The agency that found me this job keeps my passport and says I owe them {amount} "
        "before I may leave. I work every day and I am not allowed to go out alone.",
    ),
    (
        "urgent_safety",
        "My partner takes my salary each month and reads every message on my phone. When I "
        "complained he said I would not see the children again. I am writing from work.",
    ),
    (
        "urgent_safety",
        "My ex-partner keeps posting where I live on his profile and tells his friends to "
        "visit me. I am afraid to go home tonight.",
    ),
    (
        "urgent_safety",
        "A man I met in the app says he will come to my school unless I send him more "
        "photos. He already has my address.",
    ),
    (
        "account_security",
        "Someone took over my account on {day} and is messaging my friends, asking each of "
        "them for {amount} in an emergency. It is not me.",
    ),
    (
        "account_security",
        "My elderly father was pressured on the phone for an hour into buying gift cards "
        "worth {amount}. The caller said he was from your support team.",
    ),
    (
        "account_security",
        "A 'recruiter' asked me to pay {amount} for training before my first task and now "
        "he uses my account to post the same offer to others.",
    ),
    (
        "community_moderation",
        "A seller keeps sending me insulting messages since I asked for a refund on {day}. "
        "He calls me names in every message.",
    ),
    (
        "community_moderation",
        "People in a group chat are sharing a photo of me with cruel comments about my "
        "body. I never agreed to it being posted.",
    ),
    (
        "community_moderation",
        "A user follows every review I write and replies that I am stupid and should leave "
        "the site. It has gone on for weeks.",
    ),
)
_AMOUNTS = ["$200", "$450", "€300", "£120", "$1,500", "₦50,000", "₹8,000"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True, slots=True)
class SafetyReport:
    """One report and the team that should handle it."""

    text: str
    route: str


def generate_reports(n: int, seed: int) -> Iterator[SafetyReport]:
    """The same seed gives the same reports."""
    rng = random.Random(seed)
    for _ in range(n):
        route, template = rng.choice(_REPORTS)
        text = template.format(amount=rng.choice(_AMOUNTS), day=rng.choice(_DAYS))
        yield SafetyReport(text=text, route=route)
