"""The demo's Fairwork report judges 3.1 and 5.2 from records: terms version 1 in effect,
a recognised workers' association, and its consultation on the pay floors."""

from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.demo.governance import ASSOCIATION, TERMS_TITLE
from fairlabel.demo.seed import seed_demo
from fairlabel.governance import service
from fairlabel.reports import fairwork


def test_the_demo_holds_clear_terms_and_collective_governance(
    database: Database, settings: Settings
) -> None:
    with database.session() as db:
        seed_demo(db, settings, images=2, tickets=10, comparisons=2)
    with database.session(write=False) as db:
        current = service.current_version(db)
        assert current is not None and (current.number, current.title) == (1, TERMS_TITLE)
        assert f"within\n  {settings.appeal_window_days} days" in current.body
        [association] = service.list_representatives(db)
        assert association.name == ASSOCIATION and association.current
        [consulted] = service.list_consultations(db)
        assert consulted.topic == "pay_floor" and consulted.representative_ids == [association.id]
        report = {t.id: t for t in fairwork.report(db, settings).thresholds}
    terms, governance = report["3.1"], report["5.2"]
    assert terms.holds is True, terms.why
    assert terms.figures["current_terms_version"] == 1 and terms.figures["active_projects"] == 4
    assert governance.holds is True, governance.why
    assert governance.figures["representatives"] == 1
    assert governance.figures["consultations"] == 1
    with database.session() as db:
        seed_demo(db, settings, images=2, tickets=10, comparisons=2)
    with database.session(write=False) as db:
        assert len(service.list_versions(db)) == 1, "seeding twice changes nothing"
