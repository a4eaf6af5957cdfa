"""The quality page in a real browser: the client follows the Quality tab from the dashboard,
sees the agreement figures, the chart, the confusion matrix and the workers, with no console
errors; then recomputes the consensus and watches the job's page until it is done."""

import re

import pytest

from tests.browser.conftest import Session
from tests.factories import Factory
from tests.quality.helpers import answer, labelled_project

pytestmark = pytest.mark.browser


def test_client_opens_the_quality_page(session: Session, factory: Factory) -> None:
    owner, project, _ = labelled_project(factory, items=2, overlap=2)
    workers = [factory.worker(), factory.worker()]
    for worker, labels in zip(
        workers, (("positive", "negative"), ("positive", "neutral")), strict=True
    ):
        for label in labels:
            answer(worker, project["id"], {"sentiment": label})
    page, base = session.page, session.base_url
    session.sign_in(owner)
    page.goto(f"{base}/projects/{project['id']}")
    page.click("nav >> text=Quality")
    page.wait_for_selector("#agreement")
    assert page.url.endswith(f"/projects/{project['id']}/quality")
    alpha = page.locator("#agreement tr[data-figure='alpha_nominal'] td").nth(2).inner_text()
    assert float(alpha) <= 1
    assert page.locator("figure.chart svg polyline").count() == 1
    assert page.locator("#confusion-sentiment tbody tr").count() == 3
    assert page.locator("#quality-workers tbody tr").count() == 2
    assert page.locator("#lowest-items tbody tr").count() == 2
    session.screenshot("quality")
    page.click("#recompute-form button")
    page.wait_for_url(re.compile(r".*/jobs/\d+$"))
    page.wait_for_selector("#job-result")  # the page refreshes itself until the job ends
    assert "Dawid-Skene" in page.inner_text("#job-result")
    assert page.locator("#job-progress").get_attribute("value") == page.locator(
        "#job-progress"
    ).get_attribute("max")
    session.screenshot("recompute-job")
    page.click("#job-link")
    page.wait_for_url(f"{base}/projects/{project['id']}/quality")
