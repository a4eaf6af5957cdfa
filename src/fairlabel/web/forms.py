"""Form parsing in one place: running a form's action as the API would and showing its
refusal on the page again, the posted fields as text, and the typed values (whole numbers,
percentages, money in major units, lists) read from what a person typed, each error placed
under the element it belongs to."""

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from fairlabel.auth.policies import Principal
from fairlabel.errors import FairlabelError
from fairlabel.pay import floors
from fairlabel.web.pages import check_form_csrf

#: Shows the page again with an error message and a status.
Render = Callable[[str | None, int], Response]
#: Places an error message under a form element.
AddError = Callable[[str, str], object]


def act(
    db: Session,
    principal: Principal,
    csrf_token: str,
    action: Callable[[], Any],
    done: str,
    render: Render,
) -> Response:
    """Run a form's action as the API would; on a refusal, roll back and show the page
    again with the error's message and status."""
    try:
        check_form_csrf(principal, csrf_token)
        action()
    except FairlabelError as error:
        db.rollback()
        return render(f"{error.message} ({error.field}: {error.expected})", error.status_code)
    except ValueError as error:  # a pydantic model built from the form's fields
        db.rollback()
        return render(str(error), 422)
    return RedirectResponse(done, status_code=303)


async def text_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (uploads left out)."""
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def words(text: str) -> list[str]:
    """Words separated by commas or spaces ("en, sw" -> ["en", "sw"])."""
    return [word for word in text.replace(",", " ").split() if word]


def integer(add: AddError, element: str, text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        add(element, f"expected a whole number, got {text!r}")
        return None


def number(add: AddError, element: str, text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        add(element, f"expected a number, got {text!r}")
        return None


def optional_integer(add: AddError, element: str, text: str) -> int | None:
    """Blank means none (the API's null), not zero."""
    return integer(add, element, text) if text else None


def percent(add: AddError, element: str, text: str) -> float | None:
    """A percentage typed as 25 or 25% as the share the API takes (0.25); blank is none."""
    text = text.removesuffix("%").strip()
    if not text:
        return None
    value = number(add, element, text)
    return None if value is None else round(value / 100, 6)


def as_percent(share: float | None) -> str:
    return "" if share is None else f"{share * 100:g}"


def to_minor(add: AddError, element: str, text: str, currency: str) -> int | None:
    """An amount in major units ("0.60") as the integer minor units the API takes (60),
    refusing more decimals than the currency has rather than rounding money away."""
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        add(element, f"expected an amount like 0.60, got {text!r}")
        return None
    units = floors.minor_units(currency)
    minor = amount * units
    if minor != minor.to_integral_value():
        places = len(str(units)) - 1
        add(element, f"expected at most {places} decimals for {currency}, got {text!r}")
        return None
    return int(minor)


def code_list(text: str) -> list[str]:
    return [code for code in re.split(r"[,\s]+", text) if code]
