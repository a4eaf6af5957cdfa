"""Guidelines, descriptions and terms are Markdown written by one person and read by
others: raw HTML is shown as text, and no spelling of a script address becomes a link."""

import pytest

from fairlabel.web.service import render_markdown

RAW_HTML = [
    "<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<svg onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
]
SCRIPT_LINKS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](jav&#x61;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x]: javascript:alert(1)\n\n[x]",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
]


@pytest.mark.parametrize("text", RAW_HTML)
def test_raw_html_is_shown_as_text(text: str) -> None:
    html = str(render_markdown(text))
    assert "<" not in html.removeprefix("<p>").removesuffix("</p>\n")
    assert "&lt;" in html


@pytest.mark.parametrize("text", SCRIPT_LINKS)
def test_script_addresses_never_become_links(text: str) -> None:
    html = str(render_markdown(text)).lower()
    assert "<a " not in html and "<img" not in html
    assert 'href="javascript' not in html and "src=" not in html


def test_ordinary_links_and_inline_images_still_work() -> None:
    html = str(render_markdown("[docs](https://example.org/a) ![dot](data:image/png;base64,AA)"))
    assert '<a href="https://example.org/a">docs</a>' in html
    assert '<img src="data:image/png;base64,AA" alt="dot" />' in html
