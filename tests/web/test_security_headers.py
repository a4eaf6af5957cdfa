"""Security headers and cookies through the real app: every page (found from the routers
of fairlabel.web, so that a new page is covered the day it is added), the API, static files and
media with Range carry the policy; no page holds an inline script or event handler; the
cookies are HttpOnly and SameSite, and Secure over https, directly or behind a trusted
proxy."""

import importlib
import pkgutil
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import ValidationError

import fairlabel.web
from fairlabel.app import create_app
from fairlabel.config import Settings
from fairlabel.headers import content_security_policy
from fairlabel.web.account.sign_in import LOGIN_CSRF_COOKIE
from tests.factories import PASSWORD, Account, Factory
from tests.items.test_media_api import upload, wav
from tests.web.helpers import login_token, sign_in

SESSION_COOKIE = "fairlabel_session"
FIXED_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


SCRIPT_URL = re.compile(r"\s*(javascript:|vbscript:|data:text/html)", re.IGNORECASE)


def directives(policy: str) -> dict[str, list[str]]:
    parsed = [part.split() for part in policy.split(";") if part.strip()]
    return {words[0]: words[1:] for words in parsed}


def assert_protected(response: Any) -> None:
    """The headers every response carries, and a policy under which no inline script runs."""
    where = f"{response.request.method} {response.request.url} ({response.status_code})"
    for name, value in FIXED_HEADERS.items():
        assert response.headers.get(name) == value, f"{where}: {name}"
    policy = directives(response.headers.get("content-security-policy", ""))
    assert policy.get("default-src") == ["'self'"], where
    assert policy["script-src"][0] == "'self'", where
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(policy["script-src"])
    assert policy["object-src"] == ["'none'"], where
    assert policy["base-uri"] == ["'self'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["form-action"] == ["'self'"], where


class InlineCode(HTMLParser):
    """What would run without a script file: inline scripts, on* handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and not named.get("src"):
            self.found.append("an inline <script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and SCRIPT_URL.match(value or ""):
                self.found.append(f"<{tag} {name}={value!r}>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def world(factory: Factory) -> dict[str, Any]:
    """An owner's project with a review stage, items, a gold item in a qualification test,
    a recompute job; an operator and a worker."""
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id, workflow=[{"stage": "review"}])
    pid = project["id"]
    rows = b'{"fields": {"text": "one"}}\n{"fields": {"text": "two"}}\n'
    imported = owner.post(f"/api/projects/{pid}/imports", content=rows, params={"format": "jsonl"})
    assert imported.status_code == 201, imported.text
    items = owner.get(f"/api/projects/{pid}/items").json()["items"]
    gold = owner.put(
        f"/api/items/{items[0]['id']}/gold", json={"answers": {"sentiment": "positive"}}
    )
    assert gold.status_code == 200, gold.text
    test = owner.post(
        f"/api/projects/{pid}/qualification-tests",
        json={"qualification": "sentiment", "item_ids": [items[0]["id"]]},
    )
    assert test.status_code == 201, test.text
    job = owner.post(f"/api/projects/{pid}/consensus")
    assert job.status_code == 202, job.text
    receiver = owner.post(
        f"/api/organizations/{org_id}/webhooks",
        json={"url": "http://127.0.0.1:9/hooks", "events": ["job.finished"]},
    )
    assert receiver.status_code == 201, receiver.text
    stream = owner.post(
        f"/api/projects/{pid}/monitoring-streams",
        json={"name": "prod", "flag_question": "sentiment", "flag_values": ["negative"]},
    )
    assert stream.status_code == 201, stream.text
    compared = factory.project(owner, org_id, questions=[{"name": "vote", "type": "pairwise"}])
    evaluation = owner.post(
        f"/api/projects/{compared['id']}/evaluations",
        json={"name": "e", "models": [{"name": "m1"}, {"name": "m2"}]},
    )
    assert evaluation.status_code == 201, evaluation.text
    return {
        "accounts": [owner, factory.user(operator=True), factory.worker()],
        "values": {
            "project_id": pid,
            "organization_id": org_id,
            "test_id": test.json()["id"],
            "job_id": job.headers["location"].rsplit("/", 1)[1],
            "payout_id": 1,
            "file_format": "csv",
            "receiver_id": receiver.json()["id"],
            "stream_id": stream.json()["id"],
            "evaluation_id": evaluation.json()["id"],  # of another project: the 404 page
        },
    }


def page_routes() -> list[APIRoute]:
    """The GET routes of every page module under fairlabel.web (they have no prefix)."""
    found = []
    for module_info in pkgutil.walk_packages(fairlabel.web.__path__, "fairlabel.web."):
        module = importlib.import_module(module_info.name)
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found += [r for r in router.routes if isinstance(r, APIRoute) and "GET" in r.methods]
    return found


def page_urls(values: dict[str, Any]) -> list[str]:
    urls = []
    for route in page_routes():
        params = set(re.findall(r"{(\w+)}", route.path))
        assert params <= values.keys(), f"{route.path}: give its {params} a value in `world`"
        urls.append(route.path.format(**values))
    return urls


def test_every_page_carries_the_headers_and_no_inline_code(
    factory: Factory, world: dict[str, Any]
) -> None:
    client = factory.client
    urls = page_urls(world["values"])
    assert len(urls) > 25 and "/login" in urls and "/api/docs" in urls
    shown = 0
    for account in world["accounts"]:
        client.cookies.clear()
        sign_in(client, account.email)
        for url in urls:
            response = client.get(url, follow_redirects=False)
            assert response.status_code < 500, (url, response.text)
            assert_protected(response)
            if response.headers.get("content-type", "").startswith("text/html"):
                assert inline_code(response.text) == [], url
                shown += response.status_code == 200
    assert shown > 40  # most pages were shown to someone, not only refused


def test_signed_out_visitors_redirects_and_errors_carry_the_headers(factory: Factory) -> None:
    client = factory.client
    for url in ("/", "/projects", "/no-such-page", "/login", "/api/me", "/api/projects/x"):
        assert_protected(client.get(url, follow_redirects=False))
    assert_protected(client.post("/api/projects", json={"name": 1}))
    assert_protected(client.get("/static/qualification.js"))


def test_the_api_and_media_with_range_carry_the_headers(factory: Factory) -> None:
    owner, org_id = factory.owner()
    project = factory.project(owner, org_id)
    data = wav()
    uploaded = upload(owner, project["id"], ("beep.wav", data))
    assert uploaded.status_code == 201, uploaded.text  # type: ignore[attr-defined]
    src = uploaded.json()["items"][0]["fields"]["audio"]["src"]  # type: ignore[attr-defined]
    whole = owner.get(src)
    assert whole.status_code == 200 and whole.content == data
    assert_protected(whole)
    part = owner.client.get(src, headers={**owner.headers, "Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == data[:100]
    assert part.headers["content-type"] == "audio/wav"
    assert_protected(part)
    assert_protected(owner.get(f"/api/projects/{project['id']}/items"))


def test_the_api_explorer_may_load_swagger_ui_from_its_cdn_only(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and "/static/api-docs.js" in page.text
    policy = directives(page.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'", "https://cdn.jsdelivr.net"]
    assert "https://cdn.jsdelivr.net" in policy["style-src"]
    assert policy["connect-src"] == ["'self'"]


def test_configured_media_origins_join_the_policy_and_nothing_else_can() -> None:
    settings = Settings(media_origins="https://media.example.org, https://*.cdn.example.org:8443")
    assert settings.media_origins == ["https://media.example.org", "https://*.cdn.example.org:8443"]
    policy = directives(content_security_policy(settings.media_origins))
    for name in ("img-src", "media-src", "connect-src"):
        assert policy[name][-2:] == settings.media_origins
    assert policy["script-src"] == ["'self'"]
    for bad in ("javascript:alert(1)", "https://x.org; script-src *", "'unsafe-inline'", "*"):
        with pytest.raises(ValidationError, match="not an origin"):
            Settings(media_origins=bad)


# --- cookies ------------------------------------------------------------------------------


def set_cookies(response: Any) -> dict[str, str]:
    """Each Set-Cookie header by cookie name, its attributes in lower case."""
    headers = response.headers.get_list("set-cookie")
    return {header.split("=", 1)[0]: header.lower() for header in headers}


def sign_in_response(client: TestClient, email: str, **headers: str) -> Any:
    token = login_token(client)
    return client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )


@pytest.fixture
def other_app(settings: Settings) -> Iterator[Any]:
    """The same database behind an app with other cookie or proxy settings."""
    made: list[FastAPI] = []

    def make(**changes: Any) -> TestClient:
        app = create_app(settings.model_copy(update=changes))
        made.append(app)
        return TestClient(app)

    yield make
    for app in made:
        app.state.database.dispose()


def test_cookies_are_http_only_same_site_and_not_secure_over_plain_http(
    factory: Factory,
) -> None:
    owner = factory.user()
    form = factory.client.get("/login")
    csrf_cookie = set_cookies(form)[LOGIN_CSRF_COOKIE]
    assert "httponly" in csrf_cookie and "samesite=strict" in csrf_cookie
    assert "secure" not in csrf_cookie
    signed_in = sign_in_response(factory.client, owner.email)
    assert signed_in.status_code == 303
    session = set_cookies(signed_in)[SESSION_COOKIE]
    assert "httponly" in session and "samesite=lax" in session and "secure" not in session
    assert "max-age=1209600" in session


def test_cookies_are_secure_over_https(app: FastAPI, factory: Factory) -> None:
    owner = factory.user()
    client = TestClient(app, base_url="https://testserver")
    assert "secure" in set_cookies(client.get("/login"))[LOGIN_CSRF_COOKIE]
    signed_in = sign_in_response(client, owner.email)
    cookies = set_cookies(signed_in)
    assert "secure" in cookies[SESSION_COOKIE] and "httponly" in cookies[SESSION_COOKIE]
    assert "secure" in cookies[LOGIN_CSRF_COOKIE]  # deleted with the same attributes
    signed_out = client.post(
        "/logout", data={"csrf_token": _page_csrf(client)}, follow_redirects=False
    )
    ended = set_cookies(signed_out)[SESSION_COOKIE]
    assert "secure" in ended and "max-age=0" in ended


def _page_csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert match
    return match.group(1)


def test_behind_a_trusted_proxy_its_https_makes_the_cookies_secure(
    factory: Factory, other_app: Any
) -> None:
    owner = factory.user()
    proxied = other_app(forwarded_allow_ips="testclient")  # TestClient's own address
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    signed_in = sign_in_response(proxied, owner.email, **forwarded)
    assert signed_in.status_code == 303
    assert "secure" in set_cookies(signed_in)[SESSION_COOKIE]
    assert_protected(signed_in)


def test_an_untrusted_client_cannot_claim_https(factory: Factory, other_app: Any) -> None:
    """By default only a proxy on 127.0.0.1 is believed; TestClient comes from elsewhere."""
    owner = factory.user()
    signed_in = sign_in_response(other_app(), owner.email, **{"X-Forwarded-Proto": "https"})
    assert signed_in.status_code == 303
    assert "secure" not in set_cookies(signed_in)[SESSION_COOKIE]


def test_cookie_secure_marks_them_secure_even_over_http(factory: Factory, other_app: Any) -> None:
    owner = factory.user()
    client = other_app(cookie_secure=True)
    form = client.get("/login")
    assert "secure" in set_cookies(form)[LOGIN_CSRF_COOKIE]
    token = form.cookies[LOGIN_CSRF_COOKIE]
    data = {"email": owner.email, "password": PASSWORD, "csrf_token": token}
    cookie = {"Cookie": f"{LOGIN_CSRF_COOKIE}={token}"}  # a browser sends it over https only
    signed_in = client.post("/login", data=data, headers=cookie, follow_redirects=False)
    assert signed_in.status_code == 303
    assert "secure" in set_cookies(signed_in)[SESSION_COOKIE]


def test_the_workspace_reads_no_cookie(factory: Factory, world: dict[str, Any]) -> None:
    """The CSRF token reaches the workspace in the page, so the cookies can stay HttpOnly."""
    worker: Account = world["accounts"][2]
    sign_in(factory.client, worker.email)
    page = factory.client.get(f"/projects/{world['values']['project_id']}/work")
    assert re.search(r'data-csrf-token="[^"]{20,}"', page.text)
