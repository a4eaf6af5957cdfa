"""Synthetic customer-support tickets with categories and exact entity spans, for text demos.

Some templates hold markup ("<b>", "&", a pasted "<script>") and non-ASCII text on purpose:
the UI must show them as text, and span offsets must survive them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

CATEGORIES = ["billing", "shipping", "account", "technical", "refund"]
ENTITY_LABELS = ["PRODUCT", "ORDER_ID", "PERSON", "DATE", "MONEY"]
PRIORITIES = ["low", "normal", "high", "urgent"]

_PRIORITY_WEIGHTS = [25, 50, 20, 5]
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(slots=True)
class Entity:
    """A labelled span; text[start:end] == entity.text, on whitespace token boundaries."""

    start: int
    end: int
    label: str
    text: str


@dataclass(slots=True)
class Ticket:
    """One ticket with its true category, priority and entities, usable as gold."""

    text: str
    category: str
    priority: str
    entities: list[Entity]


@dataclass(frozen=True, slots=True)
class _Template:
    """Upper-case slots become entities; lower-case slots are filler that varies the wording."""

    category: str
    text: str
    priority: str | None = None


_TEMPLATES = (
    _Template(
        "billing",
        "{greeting} I was charged {MONEY} twice for order {ORDER_ID} on {DATE} and I only "
        "placed it once. Please fix this.",
    ),
    _Template(
        "billing",
        "My invoice for {PRODUCT} shows {MONEY} but the checkout page said {MONEY} when I "
        "paid. Which one is right?\n{signoff}\n{PERSON}",
    ),
    _Template(
        "billing",
        "{greeting} the annual plan renewed on {DATE} without any reminder email. I want to "
        "switch back to monthly billing. {signoff} {PERSON}",
    ),
    _Template(
        "billing",
        "Tax & fees on order {ORDER_ID} add up to {MONEY} which looks wrong for a <b>digital</b> "
        "product. Can someone check?",
    ),
    _Template(
        "shipping",
        "Order {ORDER_ID} was supposed to arrive on {DATE} but tracking has not moved for a "
        "week. {signoff} {PERSON}",
    ),
    _Template(
        "shipping",
        "{greeting} my {PRODUCT} arrived in a crushed box and tracking says it was signed for "
        "by {PERSON} who does not live here.",
    ),
    _Template(
        "shipping",
        "Can I change the delivery address for {ORDER_ID} before it ships? I moved on {DATE} "
        "and forgot to update my profile.",
    ),
    _Template(
        "shipping",
        "😞 The courier left my {PRODUCT} at the wrong door again. Third time since {DATE} "
        "and nobody answers the phone.",
        priority="high",
    ),
    _Template(
        "account",
        "I have not been able to log in since {DATE} and the reset email never arrives. "
        "{signoff} {PERSON}",
    ),
    _Template(
        "account",
        "Please merge my two accounts. The old one is under the name {PERSON} and the new one "
        "has order {ORDER_ID} on it.",
    ),
    _Template(
        "account",
        "Someone changed my email address on {DATE} and it was not me! Please lock the account "
        "right away.",
        priority="urgent",
    ),
    _Template(
        "account",
        "How do I add {PERSON} as a second user on our team plan? The <admin> page only says "
        '"not allowed" & nothing else.',
    ),
    _Template(
        "technical",
        "{PRODUCT} keeps disconnecting every few minutes since the update on {DATE} and "
        "restarting does not help.",
        priority="high",
    ),
    _Template(
        "technical",
        "Pasted by QA: the review field accepts <script>alert(1)</script> and runs it on the "
        "{PRODUCT} page. Steps & screenshots attached. {signoff} {PERSON}",
        priority="urgent",
    ),
    _Template(
        "technical",
        "{greeting} the app crashes when I open order {ORDER_ID} in the history tab. I am using "
        "{PRODUCT} on the latest firmware.",
    ),
    _Template(
        "technical",
        "Since {DATE} the {PRODUCT} companion app shows error {code} whenever I try to pair it.",
    ),
    _Template(
        "refund",
        "I returned {PRODUCT} on {DATE} and still have not received my refund of {MONEY} for "
        "order {ORDER_ID}",
    ),
    _Template(
        "refund",
        "{greeting} please refund {MONEY} for {ORDER_ID} because the parcel never arrived. "
        "{signoff} {PERSON}",
    ),
    _Template(
        "refund",
        "My partner {PERSON} ordered {PRODUCT} by mistake. Can we get a refund? It is unopened "
        "& still sealed.",
    ),
    _Template(
        "refund",
        "The refund for {ORDER_ID} came back as {MONEY} instead of {MONEY} which is what I paid "
        "on {DATE}",
    ),
)

_PRODUCTS = [
    "AeroBook Pro 14",
    "Nimbus Wireless Earbuds",
    "Kettle K2 Smart",
    "SmartThermo 3",
    "TrailRunner GPS Watch",
    "Lumen Smart Lamp",
    "PixelCam 4K",
    "Bolt & Beam Smart Plug",
    "Orbit Router AX3000",
    "ZenFlow Fitness Band",
    "Café Barista Connect",
    "HomeHub Mini",
]
_PEOPLE = [
    "Aiko Tanaka",
    "Oluwaseun Adeyemi",
    "María José García",
    "Nguyễn Thị Mai",
    "Priya Raghunathan",
    "Mohammed Al-Farsi",
    "Zhang Wei",
    "Søren Østergaard",
    "Ana Paula Souza",
    "Kwame Mensah",
    "Olena Kovalenko",
    "Mateo Rojas",
    "Fatima Zahra Benali",
    "Liam O'Connor",
    "Hine Te Awa",
    "Jae-won Park",
]
_GREETINGS = ["Hi,", "Hello,", "Hello team,", "Dear support,", "Hey there,"]
_SIGNOFFS = ["Thanks,", "Thank you,", "Regards,", "Best,", "Cheers,"]
_CURRENCIES = ["$", "€", "£"]
_MONTHS = "January February March April May June July August September October November December"
_DATE_FORMATS = ["{d:%Y-%m-%d}", "{d.day} {month} {d.year}", "{month} {d.day}"]
_FIRST_DATE = date(2024, 1, 1)


def generate_ticket(rng: random.Random) -> Ticket:
    """Fill a random template; priority comes from the template where its wording implies one."""
    template = rng.choice(_TEMPLATES)
    text, entities = _fill(template.text, rng)
    priority = template.priority or rng.choices(PRIORITIES, _PRIORITY_WEIGHTS)[0]
    return Ticket(text=text, category=template.category, priority=priority, entities=entities)


def generate_tickets(n: int, seed: int) -> Iterator[Ticket]:
    """The same seed gives the same tickets, so demo data can be rebuilt identically."""
    rng = random.Random(seed)
    for _ in range(n):
        yield generate_ticket(rng)


def _fill(pattern: str, rng: random.Random) -> tuple[str, list[Entity]]:
    """Substitute slots left to right, counting characters so entity offsets are exact."""
    parts: list[str] = []
    entities: list[Entity] = []
    length = 0
    previous_end = 0
    for slot in _SLOT.finditer(pattern):
        literal = pattern[previous_end : slot.start()]
        name = slot.group(1)
        value = _MAKERS[name](rng)
        start = length + len(literal)
        if name in ENTITY_LABELS:
            entities.append(Entity(start=start, end=start + len(value), label=name, text=value))
        parts += [literal, value]
        length = start + len(value)
        previous_end = slot.end()
    parts.append(pattern[previous_end:])
    return "".join(parts), entities


def _order_id(rng: random.Random) -> str:
    return f"ORD-{rng.randint(10000, 99999)}"


def _money(rng: random.Random) -> str:
    return f"{rng.choice(_CURRENCIES)}{rng.randint(3, 499)}.{rng.choice(['00', '50', '99'])}"


def _date(rng: random.Random) -> str:
    """Month names from a fixed list, since strftime's %B would follow the process locale."""
    day = _FIRST_DATE + timedelta(days=rng.randrange(730))
    month = _MONTHS.split()[day.month - 1]
    return rng.choice(_DATE_FORMATS).format(d=day, month=month)


def _error_code(rng: random.Random) -> str:
    return f"E-{rng.randint(100, 999)}"


def _pick(options: list[str]) -> Callable[[random.Random], str]:
    return lambda rng: rng.choice(options)


_MAKERS: dict[str, Callable[[random.Random], str]] = {
    "PRODUCT": _pick(_PRODUCTS),
    "ORDER_ID": _order_id,
    "PERSON": _pick(_PEOPLE),
    "DATE": _date,
    "MONEY": _money,
    "greeting": _pick(_GREETINGS),
    "signoff": _pick(_SIGNOFFS),
    "code": _error_code,
}
