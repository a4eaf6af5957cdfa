"""The demo's simulated workforce: workers in twenty countries whose pay floors ship with
fairlabel, each with the habits the history plays out (how fast and how well they work,
which days, whether they review or opt into risky content).

Accounts are written as rows rather than through `auth.service.create_user`, which hashes
each password with argon2 (about 0.1 s a worker): they share one hash of the demo password,
so that anyone can sign in as any of them. Profiles and opt-ins go through the services."""

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from fairlabel.auth.policies import Principal
from fairlabel.auth.security import hash_password
from fairlabel.demo.safety import RISK
from fairlabel.models import User, Worker
from fairlabel.wellness import service as wellness
from fairlabel.workforce import service as workforce
from fairlabel.workforce.schemas import ProfileIn

#: Country and languages, the demo workers' countries first; every one has a shipped floor
#: and a demo exchange rate, from Uganda's to the United Kingdom's.
COUNTRIES = (
    ("KE", ("en", "sw")),
    ("IN", ("hi", "en")),
    ("PH", ("fil", "en")),
    ("GB", ("en",)),
    ("NG", ("en", "yo")),
    ("BR", ("pt",)),
    ("US", ("en", "es")),
    ("ID", ("id",)),
    ("PK", ("ur", "en")),
    ("BD", ("bn",)),
    ("VN", ("vi",)),
    ("EG", ("ar",)),
    ("ZA", ("en", "zu")),
    ("GH", ("en", "ak")),
    ("UG", ("en", "lg")),
    ("MX", ("es",)),
    ("CO", ("es",)),
    ("UA", ("uk",)),
    ("PL", ("pl",)),
    ("TR", ("tr",)),
)
LANGUAGES = dict(COUNTRIES)
EMAIL = "worker{number:04d}@sim.demo.fairlabel.org"
SIMULATED_EMAILS = "%@sim.demo.fairlabel.org"  # a LIKE pattern
#: Of each country's workers in turn, the first of every REVIEWER_EVERY reviews too, and the
#: second of every OPT_IN_EVERY opts into the safety reports' content risk: the same mix in
#: every country, whatever the scale.
REVIEWER_EVERY = 4
OPT_IN_EVERY = 3
DAYS_PER_WEEK = 3
ROTATION = ("tickets", "replies")
ROTATION_OPTED_IN = ("tickets", "replies", "safety")


@dataclass(frozen=True, slots=True)
class Person:
    """A simulated worker: who they are to the services, and how they work."""

    principal: Principal
    country: str
    #: The share of a task's estimated time it takes them.
    speed: float
    #: The chance that an answer of theirs is right.
    accuracy: float
    reviewer: bool
    opted_in: bool
    #: The projects (by kind) of their labelling sessions in turn.
    rotation: tuple[str, ...]
    #: The days of the week (0 is Monday) they work, and when their day starts.
    weekdays: frozenset[int]
    starts: timedelta

    @property
    def id(self) -> int:
        return self.principal.id

    def project(self, session: int) -> str:
        return self.rotation[session % len(self.rotation)]

    def seconds(self, estimated: float, rng: random.Random) -> float:
        return estimated * self.speed * rng.uniform(0.85, 1.15)


def recruit(
    db: Session,
    rng: random.Random,
    total: int,
    countries: int,
    demo_workers: list[User],
    password: str,
) -> list[Person]:
    """The demo workers, then simulated ones up to `total`, spread evenly over the first
    `countries` countries; profiles and opt-ins recorded through the services."""
    places = COUNTRIES[:countries]
    users = list(demo_workers)
    password_hash = hash_password(password)
    for number in range(len(users) + 1, total + 1):
        country, _languages = places[(number - 1) % len(places)]
        users.append(_account(db, number, country, password_hash))
    people = []
    seen: dict[str, int] = {}
    for user in users:
        worker = workforce.get_worker(db, user.id)
        country = worker.country or places[0][0]
        rank = seen[country] = seen.get(country, -1) + 1
        person = _person(rng, user, country, rank)
        profile = ProfileIn(
            country=country,
            languages=list(LANGUAGES.get(country, ("en",))),
            payout_reference=f"demo-wallet-{user.id:05d}",
        )
        workforce.update_profile(db, user.id, profile)
        if person.opted_in:
            wellness.opt_in(db, user.id, RISK)
        people.append(person)
    return people


def _account(db: Session, number: int, country: str, password_hash: str) -> User:
    user = User(
        email=EMAIL.format(number=number),
        display_name=f"Simulated worker {number} ({country})",
        pseudonym=f"W-S{number:05d}",
        password_hash=password_hash,
    )
    db.add(user)
    db.flush()
    db.add(Worker(user_id=user.id, country=country))
    return user


def _person(rng: random.Random, user: User, country: str, rank: int) -> Person:
    """The same habits everywhere, drawn in narrow bands: the history must not hand one
    country slower, sloppier or differently occupied workers than another, or the equity
    check would measure the draw rather than the platform."""
    opted_in = rank % OPT_IN_EVERY == 1
    rotation = ROTATION_OPTED_IN if opted_in else ROTATION
    turn = rng.randrange(len(rotation))
    return Person(
        principal=Principal(id=user.id, pseudonym=user.pseudonym, is_worker=True),
        country=country,
        speed=rng.uniform(0.72, 0.78),
        accuracy=rng.uniform(0.985, 0.995),
        reviewer=rank % REVIEWER_EVERY == 0,
        opted_in=opted_in,
        rotation=rotation[turn:] + rotation[:turn],
        weekdays=frozenset(rng.sample(range(7), DAYS_PER_WEEK)),
        starts=timedelta(hours=rng.uniform(6, 16)),
    )
