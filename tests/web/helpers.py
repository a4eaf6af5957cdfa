"""Signing in through the real form, as a browser does, for the page tests."""

import html
import re

import httpx
from fastapi.testclient import TestClient

from tests.factories import PASSWORD


def login_token(client: TestClient) -> str:
    page = client.get("/login")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def sign_in(client: TestClient, email: str) -> None:
    token = login_token(client)
    response = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303


def page_csrf(client: TestClient) -> str:
    """The signed-in session's CSRF token, as a page's forms carry it."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/projects").text)
    assert match
    return match.group(1)


def assert_field_error(page: httpx.Response, element: str, text: str) -> None:
    """The form page shows `text` in the error beside `element` (its `<id>-error` line)."""
    error = re.search(rf'<p class="field-error" id="{element}-error">([^<]*)</p>', page.text)
    assert error, page.text
    assert text in html.unescape(error.group(1))
