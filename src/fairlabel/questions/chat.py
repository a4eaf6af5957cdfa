"""Talk to the project's models turn by turn: each turn the platform streams N candidates
from the project's endpoints (fairlabel.chat), the worker ranks them (ties allowed) or
picks one, may rewrite the chosen reply, and the conversation continues from it.

The worker sends, per turn, {"turn": k, "ranking": [["c1", "c3"], ["c2"]] | "pick": "c1",
"chosen": "c3" (where the best group is a tie), "rewrite": "..." (optional),
"candidates": [{"id", "text"}] (optional: what the page showed, checked)}. This module
checks that shape; fairlabel.chat.service then checks every turn against the candidates
the platform generated and stores the whole record, one object per turn:

    {"turns": [{
        "turn": 0,
        "prompt": [{"role", "content"}, ...],  # every message sent to the models
        "user": "..." | null,                  # the worker's message; null: the item's
        "candidates": [{"id": "c1", "endpoint_id": 3, "endpoint": "a", "model": "m",
                        "sampling": {"temperature": 0.7, "seed": 1}, "text": "...",
                        "finish_reason": "stop"}, ...],
        "ranking": [["c1", "c3"], ["c2"], ["c4"]],  # best first; a group is a tie
        "picked": false,                       # true: a single pick (ranking [[c], rest])
        "chosen": "c1",
        "rewrite": {"text": "...", "diff": [[op, text], ...]} | null,
        "reply": "...",                        # the rewrite, else the chosen text
        "wait_ms": 812.5,
    }, ...]}

Turn k + 1's prompt is turn k's prompt, then {"assistant": reply}, then its user message:
preference pairs are (prompt, candidate ranked higher, candidate ranked lower) per turn,
SFT rows the last prompt plus the last reply; each turn's `reply` is the branch taken."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from fairlabel.questions.base import (
    LiveGeneration,
    QuestionType,
    RecordShape,
    SamplingSettings,
    StoredTurn,
    candidate_ids,
    check_shown,
    expect_int,
    expect_list,
    expect_str,
    fail,
    shown_candidates,
)
from fairlabel.questions.registry import register
from fairlabel.questions.rewrite import word_diff

_TURN = RecordShape(("turn",), ("ranking", "pick", "chosen", "rewrite", "candidates"))
_ANSWER = RecordShape(("turns",))


class ChatSettings(SamplingSettings):
    endpoints: list[int] = Field(min_length=1, max_length=8)
    """The organization's model endpoints that answer; candidate i comes from endpoint
    i mod len(endpoints), so one endpoint listed once with candidates 3 gives 3 samples."""
    candidates: int = Field(default=2, ge=1, le=8)
    max_turns: int = Field(default=3, ge=1, le=50)
    mode: Literal["rank", "pick"] = "rank"
    allow_rewrite: bool = True
    field: str = Field(default="messages", min_length=1)
    """The item field whose chat messages the conversation starts from (may be absent)."""
    max_message_length: int = Field(default=8000, ge=1, le=100_000)


@register
class ChatQuestion(QuestionType[ChatSettings]):
    name = "chat"
    settings_model = ChatSettings
    answer_kind = "chat"

    def validate_answer(
        self, settings: ChatSettings, answer: Any, fields: dict[str, Any], path: str
    ) -> dict[str, Any]:
        turns = expect_list(_ANSWER.check(answer, path)["turns"], f"{path}.turns")
        if not turns:
            fail(f"{path}.turns", turns, "at least one answered turn")
        if len(turns) > settings.max_turns:
            fail(f"{path}.turns", len(turns), f"at most max_turns ({settings.max_turns}) turns")
        return {
            "turns": [
                _turn(settings, turn, index, f"{path}.turns[{index}]")
                for index, turn in enumerate(turns)
            ]
        }

    def score(self, settings: ChatSettings, answer: Any, expected: Any) -> float:
        """Each conversation has its own candidates, so only a whole match agrees."""
        mine = [t["ranking"] for t in answer["turns"]]
        theirs = [t["ranking"] for t in expected["turns"]]
        return 1.0 if mine == theirs else 0.0

    def live(self, settings: ChatSettings) -> LiveGeneration:
        return LiveGeneration(
            endpoints=tuple(settings.endpoints),
            ids=candidate_ids(settings.candidates),
            sampling=settings.sampling_params,
            field=settings.field,
            max_turns=settings.max_turns,
            worker_message=True,
            max_message_length=settings.max_message_length,
            allow_rewrite=settings.allow_rewrite,
        )

    def resolve_live(
        self,
        settings: ChatSettings,
        turns: Sequence[StoredTurn],
        answer: dict[str, Any],
        path: str,
    ) -> dict[str, Any]:
        """Every answered turn is one the platform generated, each continuing from the
        previous one's chosen or rewritten reply; the record completed from the turns."""
        given = answer["turns"]
        if len(given) != len(turns):
            fail(
                f"{path}.turns",
                len(given),
                f"an answer for each of the {len(turns)} turns generated",
            )
        out = []
        for index, (turn, stored) in enumerate(zip(given, turns, strict=True)):
            out.append(_resolved_turn(turn, stored, f"{path}.turns[{index}]"))
            if index + 1 < len(turns):
                _continues(turns[index + 1], stored, out[-1]["reply"], f"{path}.turns[{index}]")
        return {"turns": out}


def _turn(settings: ChatSettings, raw: Any, index: int, path: str) -> dict[str, Any]:
    turn = _TURN.check(raw, path)
    number = expect_int(turn["turn"], f"{path}.turn")
    if number != index:
        fail(f"{path}.turn", number, f"turn {index} (turns in order, from 0)")
    ranking, picked = _judgement(settings, turn, path)
    chosen = _chosen(turn, ranking, path)
    rewrite = turn.get("rewrite")
    if rewrite is not None:
        rewrite = _rewrite(settings, rewrite, f"{path}.rewrite")
    shown = shown_candidates(turn.get("candidates", []), f"{path}.candidates")
    return {
        "turn": number,
        "ranking": ranking,
        "picked": picked,
        "chosen": chosen,
        "rewrite": rewrite,
        "candidates": shown,
    }


def _judgement(settings: ChatSettings, turn: dict[str, Any], path: str) -> tuple[Any, bool]:
    """The ranking as groups of ids (best first), and whether it was a single pick."""
    has_ranking, has_pick = "ranking" in turn, "pick" in turn
    if has_ranking == has_pick:
        wanted = "ranking" if settings.mode == "rank" else "pick"
        fail(f"{path}.{wanted}", None, "either a ranking or a pick (exactly one)")
    if has_pick:
        return [[expect_str(turn["pick"], f"{path}.pick")]], True
    if settings.mode == "pick":
        fail(f"{path}.ranking", turn["ranking"], "a pick (the project asks for one choice)")
    groups = expect_list(turn["ranking"], f"{path}.ranking", "a list of groups of candidate ids")
    seen: set[str] = set()
    ranking: list[list[str]] = []
    for g, group in enumerate(groups):
        where = f"{path}.ranking[{g}]"
        members = [group] if isinstance(group, str) else expect_list(group, where)
        if not members:
            fail(where, group, "a non-empty group of candidate ids")
        ids = [expect_str(m, f"{where}[{k}]") for k, m in enumerate(members)]
        for k, candidate in enumerate(ids):
            if candidate in seen:
                fail(f"{where}[{k}]", candidate, "each candidate ranked once")
            seen.add(candidate)
        ranking.append(ids)
    if not ranking:
        fail(f"{path}.ranking", groups, "a ranking of every candidate")
    return ranking, False


def _chosen(turn: dict[str, Any], ranking: list[list[str]], path: str) -> str:
    best = ranking[0]
    if "chosen" not in turn or turn["chosen"] is None:
        if len(best) > 1:
            fail(
                f"{path}.chosen",
                None,
                "the candidate the conversation continues from (the best "
                f"group is a tie: one of {', '.join(best)})",
            )
        return best[0]
    chosen = expect_str(turn["chosen"], f"{path}.chosen")
    if chosen not in best:
        fail(f"{path}.chosen", chosen, f"one of the best-ranked candidates: {', '.join(best)}")
    return chosen


def _rewrite(settings: ChatSettings, value: Any, path: str) -> str:
    if not settings.allow_rewrite:
        fail(path, value, "no rewrite (the project does not allow rewriting replies)")
    return message_text(settings.max_message_length, value, path)


def message_text(limit: int, value: Any, path: str) -> str:
    """A worker's message or rewrite: non-blank, at most `limit` (max_message_length)
    characters."""
    text = expect_str(value, path)
    if not text.strip():
        fail(path, text, "a non-blank message")
    if len(text) > limit:
        fail(path, f"{len(text)} characters", f"at most {limit} characters")
    return text


# --- the answer against the stored turns ----------------------------------------------------


def _resolved_turn(turn: dict[str, Any], stored: StoredTurn, path: str) -> dict[str, Any]:
    texts = check_shown(turn["candidates"], stored, path)
    ranking = _checked_ranking(turn["ranking"], turn["picked"], list(texts), stored.turn, path)
    rewrite = turn["rewrite"]
    chosen_text = texts[turn["chosen"]]
    return {
        "turn": stored.turn,
        "prompt": stored.prompt,
        "user": stored.user_message,
        "candidates": stored.candidates,
        "ranking": ranking,
        "picked": turn["picked"],
        "chosen": turn["chosen"],
        "rewrite": None
        if rewrite is None
        else {"text": rewrite, "diff": word_diff(chosen_text, rewrite)},
        "reply": chosen_text if rewrite is None else rewrite,
        "wait_ms": round(stored.wait_ms, 1),
    }


def _checked_ranking(
    ranking: list[list[str]], picked: bool, ids: list[str], turn: int, path: str
) -> list[list[str]]:
    for g, group in enumerate(ranking):
        for k, cid in enumerate(group):
            if cid not in ids:
                where = f"{path}.pick" if picked else f"{path}.ranking[{g}][{k}]"
                fail(where, cid, f"a candidate of turn {turn}: {', '.join(ids)}")
    if picked:
        rest = [cid for cid in ids if cid != ranking[0][0]]
        return [ranking[0], rest] if rest else ranking
    ranked = {cid for group in ranking for cid in group}
    missing = [cid for cid in ids if cid not in ranked]
    if missing:
        fail(
            f"{path}.ranking",
            ranking,
            f"every candidate of turn {turn} ranked (missing: {', '.join(missing)})",
        )
    return ranking


def _continues(following: StoredTurn, turn: StoredTurn, reply: str, path: str) -> None:
    """The next turn was generated from this turn's chosen or rewritten reply."""
    sent = following.prompt[len(turn.prompt) : len(turn.prompt) + 1]
    if sent != [{"role": "assistant", "content": reply}]:
        fail(
            f"{path}.chosen",
            reply[:80],
            f"the reply turn {following.turn} continued from (its chosen or rewritten text)",
        )
