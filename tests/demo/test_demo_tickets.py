"""Tickets must be reproducible and their spans exact: they serve as gold for span questions."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from fairlabel.demo import (
    CATEGORIES,
    ENTITY_LABELS,
    PRIORITIES,
    Ticket,
    generate_ticket,
    generate_tickets,
)


def _check(ticket: Ticket) -> None:
    assert ticket.category in CATEGORIES
    assert ticket.priority in PRIORITIES
    assert "{" not in ticket.text and "}" not in ticket.text
    previous_end = 0
    for entity in ticket.entities:
        assert entity.label in ENTITY_LABELS
        assert previous_end <= entity.start < entity.end
        assert ticket.text[entity.start : entity.end] == entity.text
        assert entity.text == entity.text.strip()
        assert entity.start == 0 or ticket.text[entity.start - 1].isspace()
        assert entity.end == len(ticket.text) or ticket.text[entity.end].isspace()
        previous_end = entity.end


def test_same_seed_gives_same_tickets() -> None:
    assert list(generate_tickets(50, seed=9)) == list(generate_tickets(50, seed=9))
    assert list(generate_tickets(50, seed=9)) != list(generate_tickets(50, seed=10))


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=2**32))
def test_offsets_are_exact_and_on_token_boundaries(seed: int) -> None:
    _check(generate_ticket(random.Random(seed)))


def test_every_category_label_and_priority_occurs() -> None:
    tickets = list(generate_tickets(600, seed=1))
    assert {t.category for t in tickets} == set(CATEGORIES)
    assert {t.priority for t in tickets} == set(PRIORITIES)
    assert {e.label for t in tickets for e in t.entities} == set(ENTITY_LABELS)
    assert len({_skeleton(t) for t in tickets}) >= 20


def _skeleton(ticket: Ticket) -> str:
    """The text with entity values replaced by their labels, to count distinct wordings."""
    text = ticket.text
    for entity in reversed(ticket.entities):
        text = text[: entity.start] + entity.label + text[entity.end :]
    return text


def test_some_tickets_need_html_escaping() -> None:
    texts = [t.text for t in generate_tickets(600, seed=1)]
    for needle in ("<script>alert(1)</script>", "<b>", "&", '"'):
        assert any(needle in text for text in texts), needle


def test_some_entities_are_not_ascii() -> None:
    entities = [e.text for t in generate_tickets(600, seed=1) for e in t.entities]
    assert any(not text.isascii() for text in entities)
