"""How a judge's prompt is built and its reply read: the responses swapped on the second
ask and the verdict put back in the item's order, the item's reference answer shown, and
a strict reading that refuses prose, code fences, unknown verdicts and bad confidences."""

import pytest

from fairlabel.errors import ValidationFailed
from fairlabel.evaluation import verdicts
from fairlabel.questions.pairwise import PairwiseSettings
from fairlabel.questions.rubric import RubricSettings

PAIR = ("Question?", ("first answer", "second answer"))
SETTINGS = PairwiseSettings()
NO_TIE = PairwiseSettings(allow_tie=False, allow_both_bad=False)


def test_the_second_ask_shows_the_responses_the_other_way_round() -> None:
    template = verdicts.PAIRWISE_TEMPLATE
    shown = verdicts.pairwise_prompt(template, "", SETTINGS, PAIR, False)
    swapped = verdicts.pairwise_prompt(template, "Be strict.", SETTINGS, PAIR, True, "42")
    assert shown.index("first answer") < shown.index("second answer")
    assert swapped.index("second answer") < swapped.index("first answer")
    assert "<reference_answer>\n42\n</reference_answer>" in swapped
    assert "reference" not in shown and "Be strict." in swapped
    assert '"a", "b", "tie", "both_bad"' in shown


def test_a_verdict_is_put_back_in_the_items_order() -> None:
    reply = '{"verdict": "a", "confidence": 0.8, "reason": "clearer"}'
    assert verdicts.read_pairwise(reply, SETTINGS, False).answer["choice"] == "a"
    assert verdicts.read_pairwise(reply, SETTINGS, True).answer["choice"] == "b"
    tie = verdicts.read_pairwise(' {"verdict": "tie"} ', SETTINGS, True)
    assert tie.answer["choice"] == "tie" and tie.confidence is None


@pytest.mark.parametrize(
    ("reply", "settings", "says"),
    [
        ("A is better.", SETTINGS, "not JSON"),
        ('```json\n{"verdict": "a"}\n```', SETTINGS, "not JSON"),
        ('["a"]', SETTINGS, "not an object"),
        ('{"winner": "a"}', SETTINGS, "verdict None"),
        ('{"verdict": "tie"}', NO_TIE, "'tie' is not one of: a, b"),
        ('{"verdict": "a", "confidence": 1.5}', SETTINGS, "confidence 1.5"),
        ('{"verdict": "a", "confidence": true}', SETTINGS, "confidence True"),
    ],
)
def test_replies_that_are_not_the_json_asked_for(
    reply: str, settings: PairwiseSettings, says: str
) -> None:
    with pytest.raises(verdicts.Unreadable) as refused:
        verdicts.read_pairwise(reply, settings, False)
    assert says in refused.value.message


def test_rubric_scores_are_checked_as_a_workers_are() -> None:
    settings = RubricSettings.model_validate(
        {"criteria": [{"name": "clarity", "max": 5}, {"name": "facts", "allow_na": True}]}
    )
    read = verdicts.read_rubric(
        '{"scores": {"clarity": 4, "facts": "n/a"}, "confidence": 0.7, "reason": "ok"}',
        settings,
        {},
    )
    assert read.answer == {
        "clarity": {"score": 4, "justification": "ok"},
        "facts": {"score": "n/a", "justification": "ok"},
    }
    for reply in ('{"scores": {"clarity": 9, "facts": 1}}', '{"scores": {"clarity": 2}}'):
        with pytest.raises(verdicts.Unreadable, match="do not fit the rubric"):
            verdicts.read_rubric(reply, settings, {})
    prompt = verdicts.rubric_prompt(verdicts.RUBRIC_TEMPLATE, "", settings, ("Q?", "An answer"))
    assert "- clarity (1 to 5)" in prompt and '"n/a" where it does not apply' in prompt


@pytest.mark.parametrize(
    ("template", "kind"),
    [("Judge $prompt and $response_a", "pairwise"), ("$prompt", "rubric"), ("$ $x", "pairwise")],
)
def test_templates_without_their_placeholders_are_refused(template: str, kind: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        verdicts.check_template(template, kind)
    assert refused.value.field == "template"


def test_structured_output_by_the_judges_setting() -> None:
    schema = verdicts.pairwise_schema(SETTINGS)
    asked = verdicts.response_format("json_schema", schema)
    assert asked is not None and asked["json_schema"]["schema"] == schema
    assert verdicts.response_format("json_object", schema) == {"type": "json_object"}
    assert verdicts.response_format("none", schema) is None
