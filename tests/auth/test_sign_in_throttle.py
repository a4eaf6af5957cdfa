"""Sign-in rate limit and lockout, through the real API and the real sign-in form: per email
address (5 failures in 15 minutes lock it for 15) and per client address (20), counted in
the database so that another server process sees the same counts and locks."""

import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.models import ApiToken, AuditEvent, SignInThrottle, WebSession
from tests.factories import PASSWORD, Factory
from tests.web.helpers import login_token

WRONG = "not the password"
LOCKOUT_SECONDS = 15 * 60
TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?(\+00:00)?")


def ask_token(client: TestClient | httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/api/tokens", json={"email": email, "password": password})


def fail(client: TestClient | httpx.Client, email: str, times: int) -> list[httpx.Response]:
    return [ask_token(client, email, WRONG) for _ in range(times)]


def throttles(database: Database) -> list[tuple[Any, ...]]:
    with database.session(write=False) as db:
        rows = db.execute(
            select(
                SignInThrottle.scope,
                SignInThrottle.failures,
                SignInThrottle.locked_until.is_not(None),
            ).order_by(SignInThrottle.scope, SignInThrottle.id)
        )
        return [tuple(row) for row in rows]


def state(database: Database) -> dict[str, Any]:
    """What a sign-in can write: throttle rows, tokens, browser sessions, audit events."""
    with database.session(write=False) as db:
        return {
            model.__tablename__: sorted(
                tuple(str(getattr(obj, c.name)) for c in model.__table__.columns)
                for obj in db.scalars(select(model))
            )
            for model in (SignInThrottle, ApiToken, WebSession, AuditEvent)
        }


def count(database: Database, model: type) -> int:
    with database.session(write=False) as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def move_back(database: Database, minutes: float) -> None:
    """Every throttle row's window and lock `minutes` into the past."""
    with database.session() as db:
        for row in db.scalars(select(SignInThrottle)):
            row.window_started_at -= timedelta(minutes=minutes)
            if row.locked_until is not None:
                row.locked_until -= timedelta(minutes=minutes)


def other_client(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 50000))


def test_five_failures_lock_the_account_even_against_the_right_password(
    factory: Factory, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    account = factory.user()
    with caplog.at_level(logging.WARNING, logger="fairlabel.auth"):
        answers = fail(factory.client, account.email, 5)
    assert [r.getMessage().split(" locked until ")[0] for r in caplog.records] == [
        f"sign-in to user {account.user_id}"
    ]
    assert [a.status_code for a in answers] == [401] * 5
    assert [a.json()["error"]["message"] for a in answers[:4]] == ["wrong email or password"] * 4
    assert "too many failed sign-ins" in answers[4].json()["error"]["message"]
    assert "signing in with this email address is locked until" in answers[4].text

    refused = ask_token(factory.client, account.email, PASSWORD)
    assert refused.status_code == 429
    assert LOCKOUT_SECONDS - 5 <= int(refused.headers["retry-after"]) <= LOCKOUT_SECONDS
    error = refused.json()["error"]
    assert error["code"] == "sign_in_locked"
    assert (error["field"], error["value"]) == ("email", account.email)
    assert error["expected"].startswith("a sign-in after ")
    assert "the password was not checked" in error["message"]
    assert "(in 15 minutes)" in error["message"]
    assert count(database, ApiToken) == 1  # the factory's own

    events = account.get("/api/me/audit").json()["events"]
    assert [e["kind"] for e in events] == ["sign_in_locked"]
    assert events[0]["data"]["failures"] == 5 and events[0]["data"]["client"] == "testclient"
    assert "Signing in to your account was locked" in events[0]["summary"]


def test_an_email_without_an_account_gets_the_same_answers(factory: Factory) -> None:
    """No enumeration: the same codes, words and waits whether the address is registered."""
    account = factory.user()

    def answers(email: str) -> list[tuple[int, str, int]]:
        seen = [*fail(factory.client, email, 5), ask_token(factory.client, email, PASSWORD)]
        return [
            (
                a.status_code,
                TIME.sub("TIME", a.text.replace(email, "EMAIL")),
                int(a.headers.get("retry-after", 0)),
            )
            for a in seen
        ]

    registered, unregistered = answers(account.email), answers("nobody@example.org")
    assert [code for code, *_ in registered] == [401] * 5 + [429]
    assert [row[:2] for row in registered] == [row[:2] for row in unregistered]
    assert all(abs(a[2] - b[2]) <= 2 for a, b in zip(registered, unregistered, strict=True))


def test_a_success_clears_the_account_failures_but_not_the_address(
    factory: Factory, database: Database
) -> None:
    account = factory.user()
    fail(factory.client, account.email, 4)
    assert ask_token(factory.client, account.email, PASSWORD).status_code == 201
    assert throttles(database) == [("client", 4, False)]
    answers = fail(factory.client, account.email, 4)
    assert [a.status_code for a in answers] == [401] * 4
    assert "too many" not in answers[-1].text
    assert ask_token(factory.client, account.email, PASSWORD).status_code == 201


def test_the_lock_ends_on_time_and_counting_starts_afresh(
    factory: Factory, database: Database
) -> None:
    account = factory.user()
    fail(factory.client, account.email, 5)
    for _ in range(10):  # knocking while locked neither counts nor extends the lock
        assert ask_token(factory.client, account.email, WRONG).status_code == 429
    assert throttles(database) == [("account", 0, True), ("client", 5, False)]
    move_back(database, 14)
    assert ask_token(factory.client, account.email, PASSWORD).status_code == 429
    move_back(database, 1.01)
    answers = fail(factory.client, account.email, 4)
    assert [a.status_code for a in answers] == [401] * 4
    assert "too many" not in answers[-1].text
    assert ask_token(factory.client, account.email, PASSWORD).status_code == 201


def test_failures_older_than_the_window_do_not_count(factory: Factory, database: Database) -> None:
    account = factory.user()
    fail(factory.client, account.email, 4)
    move_back(database, 15.01)
    assert "too many" not in fail(factory.client, account.email, 1)[0].text
    assert throttles(database) == [("account", 1, False), ("client", 1, False)]
    fail(factory.client, account.email, 3)
    assert ask_token(factory.client, account.email, PASSWORD).status_code == 201


def test_twenty_failures_from_one_address_refuse_it_any_sign_in(
    app: FastAPI, factory: Factory, database: Database
) -> None:
    """Password spraying: one guess each for many addresses, from one client address."""
    account = factory.user()
    sprayer = other_client(app, "203.0.113.7")
    answers = [ask_token(sprayer, f"target{n}@example.org", WRONG) for n in range(20)]
    assert [a.status_code for a in answers] == [401] * 20
    assert "from your network address is locked" in answers[-1].text

    refused = ask_token(sprayer, account.email, PASSWORD)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert (error["field"], error["value"]) == ("client", "203.0.113.7")
    assert "the password was not checked" in error["message"]
    assert ask_token(factory.client, account.email, PASSWORD).status_code == 201
    assert count(database, AuditEvent) == 0  # no account was locked


def test_an_ipv6_client_counts_by_its_64_network(app: FastAPI, factory: Factory) -> None:
    account = factory.user()
    for n in range(20):
        ask_token(other_client(app, f"2001:db8:0:1::{n + 1:x}"), f"t{n}@example.org", WRONG)
    neighbour = other_client(app, "2001:db8:0:1:ffff::1")
    refused = ask_token(neighbour, account.email, PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["error"]["value"] == "2001:db8:0:1::/64"
    assert (
        ask_token(other_client(app, "2001:db8:0:2::1"), account.email, PASSWORD).status_code == 201
    )


def test_the_sign_in_page_says_when_to_try_again(factory: Factory, database: Database) -> None:
    account = factory.user()
    client = factory.client

    def post(password: str) -> httpx.Response:
        data = {"email": account.email, "password": password, "csrf_token": login_token(client)}
        return client.post("/login", data=data, follow_redirects=False)

    answers = [post(WRONG) for _ in range(5)]
    assert [a.status_code for a in answers] == [401] * 5
    assert "Wrong email or password." in answers[0].text and "Too many" not in answers[0].text
    assert "Too many failed sign-ins: signing in with this email address is locked until" in (
        answers[4].text
    )
    refused = post(PASSWORD)
    assert refused.status_code == 429
    assert LOCKOUT_SECONDS - 5 <= int(refused.headers["retry-after"]) <= LOCKOUT_SECONDS
    assert "(in 15 minutes). The password was not checked." in refused.text
    assert 'role="alert"' in refused.text
    assert "fairlabel_session" not in client.cookies
    assert count(database, WebSession) == 0


def test_the_form_and_the_api_share_one_count(factory: Factory) -> None:
    account = factory.user()
    fail(factory.client, account.email, 3)
    for _ in range(2):
        data = {
            "email": account.email,
            "password": WRONG,
            "csrf_token": login_token(factory.client),
        }
        factory.client.post("/login", data=data)
    assert ask_token(factory.client, account.email, PASSWORD).status_code == 429


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "someone@example.org"}, "password"),
        ({"email": "someone@example.org", "password": ""}, "password"),
        ({"email": "not an email", "password": WRONG}, "email"),
        ({"password": WRONG}, "email"),
    ],
)
def test_malformed_sign_ins_are_refused_and_count_nothing(
    factory: Factory, database: Database, body: dict[str, str], field: str
) -> None:
    factory.user(email="someone@example.org")
    before = state(database)
    response = factory.client.post("/api/tokens", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field
    assert state(database) == before


def test_a_forged_form_counts_nothing(factory: Factory, database: Database) -> None:
    """Without the form's own token a cross-site page cannot lock someone out."""
    account = factory.user()
    before = state(database)
    for _ in range(6):
        data = {"email": account.email, "password": WRONG, "csrf_token": "forged"}
        assert factory.client.post("/login", data=data).status_code == 403
    assert state(database) == before
    assert ask_token(factory.client, account.email, PASSWORD).status_code == 201


def test_concurrent_failures_are_all_counted(
    live_server: str,
    factory: Factory,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "sign_in_max_failures", 100)
    monkeypatch.setattr(settings, "sign_in_client_max_failures", 100)
    account = factory.user()
    codes: list[int] = []

    def attempt() -> None:
        with httpx.Client(base_url=live_server, timeout=60) as client:
            codes.append(ask_token(client, account.email, WRONG).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [401] * 12
    assert throttles(database) == [("account", 12, False), ("client", 12, False)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def second_server(settings: Settings) -> Iterator[str]:
    """Another server process on the same database, as a second host or uvicorn worker."""
    port = _free_port()
    env = {
        **os.environ,
        "FAIRLABEL_DATA_DIR": str(settings.data_dir),
        "FAIRLABEL_DATABASE_URL": settings.resolved_database_url,
        "FAIRLABEL_DUE_PROCESS_SWEEP_SECONDS": "0",
        "FAIRLABEL_PAY_SWEEP_SECONDS": "0",
    }
    command = [sys.executable, "-m", "uvicorn", "fairlabel.app:create_app", "--factory"]
    options = ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen([*command, *options], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/openapi.json", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the second server did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_count_and_the_lock_hold_across_server_processes(
    factory: Factory, second_server: str
) -> None:
    account = factory.user()
    with httpx.Client(base_url=second_server, timeout=30) as elsewhere:
        fail(elsewhere, account.email, 3)
        fail(factory.client, account.email, 2)
        refused = ask_token(elsewhere, account.email, PASSWORD)
        assert refused.status_code == 429
        assert refused.headers["retry-after"]
    assert ask_token(factory.client, account.email, PASSWORD).status_code == 429
