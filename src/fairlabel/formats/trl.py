"""TRL's dataset types in their conversational form, built from the answers to comparison,
rewrite, text and rubric questions: the rows that formats.training writes as JSONL or as
Parquet with a dataset card.

Which answers: per annotation, the latest version of each that no reviewer rejected (a
reviewer's correction is that latest version); aggregated, the consensus. Every row names its
item (`external_id`) and question, and who answered (`worker`, a pseudonym) or how many and
how surely (`annotators`, `confidence`). Prompts and responses come from the item as
formats.chat says; an answer whose item has none is skipped, and the Parquet card counts it.

- SFT, `messages`: the prompt, then the rewritten response (rewrite) or the text answer
  (text, on an item that awaits the assistant's turn and holds no response or candidates to
  judge, see sft_demonstration) as the last assistant turn.
- Preference, `prompt`/`chosen`/`rejected`/`margin`: a pairwise pick of a or b is one pair
  (tie and both_bad are none); a ranking is every ordered pair of candidates in different
  tiers, the better first, and candidates sharing a tier give no pair. The margin is the
  preference's strength from 0 to 1: a worker's pairwise pick is strength / strength_levels
  (1 when the question asks no strength); the pairwise consensus is the vote lead,
  (votes for chosen - votes for rejected) / annotators; a ranking pair (a worker's or the
  consensus's) is its tier distance over the largest, (tier of rejected - tier of chosen) /
  (tiers - 1).
- Unpaired preference (KTO), `prompt`/`completion`/`label`: a pairwise pick labels the pick
  desirable and the other not, both_bad both not, a tie neither; a ranking labels its best
  tier desirable and its worst not, the tiers between neither.
- Rubric scores: `prompt`/`completion` (the response judged) and one column per criterion,
  as HelpSteer and UltraFeedback ship them: a column per criterion filters, sorts and
  correlates as it is (`ds.filter(lambda r: r["correctness"] >= 4)`), where a struct would
  be unpacked first. n/a is null; beside each, its justification (per annotation) or the
  consensus's confidence in it (aggregated).

A live pairwise or ranking answer (candidates generated for the worker, questions.base.
LiveCandidates) gives the same rows, its prompt the messages sent to the models and its
candidates the ones they generated, both stored in the answer.

The `chat` question (questions.chat) feeds the same builders turn by turn, as they take
plain messages: each turn's ranked candidates are pairs (margin by tier distance, as for a
ranking) and KTO labels, with the messages sent to the models as their prompt; its SFT row
is the last turn's prompt and the reply the conversation went on with (the rewrite, else
the chosen candidate). Its consensus is the first worker's conversation (quality.kinds)."""

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from fairlabel.errors import ValidationFailed
from fairlabel.formats import chat
from fairlabel.formats.base import ConsensusRecord, ExportProject, ExportQuestion, ExportRecord
from fairlabel.quality.kinds import pair_ids
from fairlabel.questions.ranking import tiers_of
from fairlabel.questions.registry import get_question_type
from fairlabel.questions.rubric import NA

ColumnKind = Literal["messages", "reply", "string", "float", "int", "bool"]
"""messages: chat messages with every key the item has; reply: assistant messages of role
and content only (chosen, rejected, completion)."""
Row = dict[str, Any]
Replies = dict[str, list[dict[str, Any]]]
"""Each candidate, by id, as a one-message assistant reply."""
REJECTED = "reject"
PAIR_SIDES = ("a", "b")
COMPARISONS = frozenset({"pairwise", "ranking"})
CHAT = "chat"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: ColumnKind


ITEM_COLUMNS = (Column("external_id", "string"), Column("question", "string"))


@dataclass(slots=True)
class Block:
    """A judgement's rows as columns: `shared` holds what every row of them has (the item,
    question and provenance, a comparison's prompt), `varying` a list per other column. The
    Parquet writer repeats the shared values in Arrow rather than building a dict per row;
    JSON Lines makes the rows of it (Dataset.rows)."""

    count: int
    shared: Row
    varying: dict[str, list[Any]] = field(default_factory=dict)


def one_row(row: Row) -> list[Block]:
    return [Block(1, row)]


def sft_block(messages: Sequence[chat.Message]) -> list[Block]:
    return one_row({"messages": messages})


@dataclass(frozen=True, slots=True)
class Asked:
    """A question with its parsed settings, parsed once per export."""

    name: str
    type: str
    settings: Any

    @classmethod
    def of(cls, question: ExportQuestion) -> "Asked":
        kind = get_question_type(question.type)
        return cls(question.name, question.type, kind.parse_settings(question.settings))


@dataclass(frozen=True, slots=True)
class Judgement:
    """One answer to one question about one item: a worker's, or the consensus of several."""

    external_id: str
    fields: Mapping[str, Any]
    question: Asked
    answer: Any
    worker: str | None
    annotators: int
    confidence: float | None


class Provenance:
    """Whose answers a dataset holds: the columns that say so, and their values."""

    kind: ClassVar[str]
    summary: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]

    def values(self, judgement: Judgement) -> Row:
        raise NotImplementedError


class PerAnnotation(Provenance):
    kind = "per annotation"
    summary = "one row per worker's answer (the latest version; work a reviewer rejected left out)"
    columns = (Column("worker", "string"),)

    def values(self, judgement: Judgement) -> Row:
        return {"worker": judgement.worker}


class Consensus(Provenance):
    kind = "consensus"
    summary = "one row per item and question from the consensus of the workers' answers"
    columns = (Column("annotators", "int"), Column("confidence", "float"))

    def values(self, judgement: Judgement) -> Row:
        return {"annotators": judgement.annotators, "confidence": judgement.confidence}


PER_ANNOTATION = PerAnnotation()
CONSENSUS = Consensus()


def annotation_judgements(
    records: Iterable[ExportRecord], questions: Sequence[Asked]
) -> Iterator[Judgement]:
    for record in records:
        for annotation in record.annotations:
            if annotation.verdict == REJECTED:
                continue
            answers = annotation.answers
            for question in questions:
                answer = answers.get(question.name)
                if answer is not None:
                    yield Judgement(
                        record.external_id,
                        record.fields,
                        question,
                        answer,
                        annotation.worker,
                        1,
                        None,
                    )


def consensus_judgements(
    records: Iterable[ConsensusRecord], questions: Sequence[Asked]
) -> Iterator[Judgement]:
    for record in records:
        for question in questions:
            found = record.consensus.get(question.name)
            if found is not None and found.get("answer") is not None:
                yield Judgement(
                    record.external_id,
                    record.fields,
                    question,
                    found["answer"],
                    None,
                    found["annotators"],
                    found["confidence"],
                )


# --- comparisons ---------------------------------------------------------------------------


Pair = tuple[str, str, float]
"""(chosen, rejected, margin): a plain tuple, as a ranking makes millions."""


def pairs(judgement: Judgement) -> list[Pair]:
    """The ordered preference pairs of a pairwise or ranking answer, with their margins."""
    answer = judgement.answer
    if judgement.question.type == "ranking":
        return ranking_pairs(tiers_of(answer))
    choice = answer.get("choice")
    ids = _pair_ids(judgement)
    if choice not in PAIR_SIDES or ids is None:
        return []
    first, second = ids
    chosen, rejected = (first, second) if choice == "a" else (second, first)
    return [(chosen, rejected, pairwise_margin(answer, judgement.question.settings))]


def pairwise_margin(answer: Mapping[str, Any], settings: Any) -> float:
    votes = answer.get("votes")
    if votes:
        other = "b" if answer["choice"] == "a" else "a"
        return (votes[answer["choice"]] - votes[other]) / sum(votes.values())
    strength = answer.get("strength")
    if strength is not None and settings.strength_levels:
        return float(strength / settings.strength_levels)
    return 1.0


def ranking_pairs(tiers: Sequence[Sequence[str]]) -> list[Pair]:
    """Every ordered pair of candidates in different tiers, better first, in tier order."""
    last = len(tiers) - 1
    return [
        (better, worse, (below - above) / last)
        for above, tier in enumerate(tiers)
        for below in range(above + 1, len(tiers))
        for better in tier
        for worse in tiers[below]
    ]


def labelled(judgement: Judgement) -> list[tuple[str, bool]]:
    """KTO's (candidate, desirable) of a pairwise or ranking answer."""
    answer = judgement.answer
    if judgement.question.type == "ranking":
        return ends_labelled(tiers_of(answer))
    ids = _pair_ids(judgement)
    if ids is None:
        return []
    first, second = ids
    choice = answer.get("choice")
    if choice == "both_bad":
        return [(first, False), (second, False)]
    if choice not in PAIR_SIDES:
        return []
    chosen, rejected = (first, second) if choice == "a" else (second, first)
    return [(chosen, True), (rejected, False)]


def _pair_ids(judgement: Judgement) -> tuple[str, str] | None:
    return pair_ids(judgement.fields, judgement.question.settings.field, judgement.answer)


def ends_labelled(tiers: Sequence[Sequence[str]]) -> list[tuple[str, bool]]:
    """A ranking's best tier desirable, its worst not; one tier says neither."""
    if len(tiers) < 2:
        return []
    return [(c, True) for c in tiers[0]] + [(c, False) for c in tiers[-1]]


# --- the dataset types --------------------------------------------------------------------


class Skipped(Counter[str]):
    """Answers that gave no row, counted by reason, for the dataset card."""


NO_PROMPT = "no prompt (fields.messages, or a prompt text field)"
NO_CANDIDATES = "candidates missing, without text, or changed since the answer"


@dataclass(frozen=True, slots=True)
class Dataset:
    """One export of a dataset type: what its rows read of the project, worked out once."""

    kind: "DatasetKind"
    project: ExportProject
    provenance: Provenance
    columns: list[Column]
    questions: list[Asked]
    judged_fields: frozenset[str]
    """The project's candidate and rewrite fields: an item with one is judged, not answered."""
    criteria: list[str]
    skipped: Skipped
    last_items: dict[str, tuple[Mapping[str, Any], Any]]
    """What was read of the last item, per question (see _compared)."""

    @classmethod
    def of(cls, kind: "DatasetKind", project: ExportProject, provenance: Provenance) -> "Dataset":
        kind.prepare(project)
        judged = {
            q.settings.get("field", "responses" if q.type in COMPARISONS else "response")
            for q in project.questions
            if q.type in COMPARISONS or q.type == "rewrite"
        }
        return cls(
            kind,
            project,
            provenance,
            kind.all_columns(project, provenance),
            asked(kind.question_types, project),
            frozenset(judged),
            criteria(project),
            Skipped(),
            {},
        )

    def blocks(self, judgements: Iterable[Judgement]) -> Iterator[Block]:
        """The rows in item order as blocks, each with its item, question and provenance."""
        kind, values = self.kind, self.provenance.values
        for judgement in judgements:
            blocks = kind.blocks(self, judgement)
            if not blocks:
                continue
            shared = {"external_id": judgement.external_id, "question": judgement.question.name}
            shared |= values(judgement)
            for block in blocks:
                if block.count:
                    block.shared.update(shared)
                    yield block

    def rows(self, judgements: Iterable[Judgement]) -> Iterator[Row]:
        """The blocks' rows, their keys in column order."""
        order = dict.fromkeys(column.name for column in self.columns)
        for block in self.blocks(judgements):
            template = order | block.shared
            names = list(block.varying)
            for values in zip(*block.varying.values(), strict=True) if names else [()]:
                row = template.copy()
                row.update(zip(names, values, strict=True))
                yield row


class DatasetKind:
    """One of TRL's dataset types: its columns and the rows of one judgement."""

    name: ClassVar[str]
    title: ClassVar[str]
    question_types: ClassVar[frozenset[str]]
    columns: ClassVar[tuple[Column, ...]]
    trainers: ClassVar[str]
    """Which TRL trainers read it, for the card."""
    rules: ClassVar[str]
    """How answers become rows, for the card (the module docstring says why)."""

    def prepare(self, project: ExportProject) -> None:
        """Refuses, before streaming, a project whose columns would clash."""

    def all_columns(self, project: ExportProject, provenance: Provenance) -> list[Column]:
        return [*self.columns, *ITEM_COLUMNS, *provenance.columns]

    def blocks(self, dataset: Dataset, judgement: Judgement) -> list[Block]:
        raise NotImplementedError


class Sft(DatasetKind):
    name = "sft"
    title = "SFT (conversational language modeling)"
    question_types = frozenset({"rewrite", "text", CHAT})
    columns = (Column("messages", "messages"),)
    trainers = "`trl.SFTTrainer`"
    rules = (
        "the prompt, then the rewritten response, the written reply (on an item that awaits "
        "the assistant's turn) or a chat's last reply as the last assistant turn."
    )

    def blocks(self, dataset: Dataset, judgement: Judgement) -> list[Block]:
        fields, settings = judgement.fields, judgement.question.settings
        if judgement.question.type == CHAT:
            turns = chat_turns(judgement.answer)
            if not turns:
                return []
            return sft_block([*turns[-1]["prompt"], *chat.assistant(turns[-1]["reply"])])
        if judgement.question.type == "rewrite":
            prompt = chat.rewritten(fields, settings.field)
            text = judgement.answer["text"]
        elif sft_demonstration(dataset, fields):
            prompt, text = chat.prompt(fields), judgement.answer
        else:
            dataset.skipped[NOT_A_DEMONSTRATION] += 1
            return []
        if prompt is None:
            dataset.skipped[NO_PROMPT] += 1
            return []
        return sft_block([*prompt, *chat.assistant(text)])


NOT_A_DEMONSTRATION = "a text answer about an item that does not await the assistant's turn"


def sft_demonstration(dataset: Dataset, fields: Mapping[str, Any]) -> bool:
    """A text answer is a demonstration when the item awaits the assistant's turn and holds
    nothing to judge: no `response` and none of the project's candidate or rewrite fields."""
    if not chat.awaits_reply(fields) or chat.RESPONSE_FIELD in fields:
        return False
    return not any(name in fields for name in dataset.judged_fields)


class Preference(DatasetKind):
    name = "preference"
    title = "preference (prompt, chosen, rejected, margin)"
    question_types = COMPARISONS | {CHAT}
    columns = (
        Column("prompt", "messages"),
        Column("chosen", "reply"),
        Column("rejected", "reply"),
        Column("margin", "float"),
        Column("chosen_id", "string"),
        Column("rejected_id", "string"),
    )
    trainers = "`trl.DPOTrainer` and `trl.RewardTrainer` (which reads `margin`)"
    rules = (
        "a pairwise pick of a or b is one pair, a ranking (or a chat turn's) every pair of "
        "candidates in different tiers (ties give none); margin is 0 to 1: a worker's "
        "strength / strength_levels (1 without strength), the consensus's vote lead (votes "
        "for chosen - votes for rejected) / annotators, a ranking pair's tier distance / "
        "(tiers - 1)."
    )

    def blocks(self, dataset: Dataset, judgement: Judgement) -> list[Block]:
        return _comparison_blocks(dataset, judgement, _pair_block, ranking_pairs, pairs)


def _comparison_blocks(
    dataset: Dataset,
    judgement: Judgement,
    build: Callable[[list[chat.Message], Replies, Any], Block | None],
    from_tiers: Callable[[Any], Any],
    from_answer: Callable[[Judgement], Any],
) -> list[Block]:
    """Rows of a comparison: per chat turn from its tiers, otherwise from the answer over
    the item's candidates (an answer naming a missing candidate is counted as skipped)."""
    if judgement.question.type == CHAT:
        turns = (
            build(prompt, replies, from_tiers(tiers))
            for prompt, replies, tiers in _chat_turns(judgement)
        )
        return [block for block in turns if block is not None]
    found = _compared(dataset, judgement)
    if found is None:
        return []
    block = build(*found, from_answer(judgement))
    if block is None:
        dataset.skipped[NO_CANDIDATES] += 1
        return []
    return [block]


def _pair_block(prompt: list[chat.Message], replies: Replies, found: list[Pair]) -> Block | None:
    """None when a pair names a candidate that is not among the replies. The prompt and the
    replies are used as they are, not copied: a ranking's pairs share them."""
    chosen = [pair[0] for pair in found]
    rejected = [pair[1] for pair in found]
    if not replies.keys() >= {*chosen, *rejected}:
        return None
    varying: dict[str, list[Any]] = {
        "chosen": [replies[c] for c in chosen],
        "rejected": [replies[c] for c in rejected],
        "margin": [pair[2] for pair in found],
        "chosen_id": chosen,
        "rejected_id": rejected,
    }
    return Block(len(found), {"prompt": prompt}, varying)


class Kto(DatasetKind):
    name = "kto"
    title = "unpaired preference (prompt, completion, label)"
    question_types = COMPARISONS | {CHAT}
    columns = (
        Column("prompt", "messages"),
        Column("completion", "reply"),
        Column("label", "bool"),
        Column("completion_id", "string"),
    )
    trainers = "`trl.KTOTrainer`"
    rules = (
        "a pairwise pick is desirable and the other not (both_bad: neither desirable, tie: no "
        "row); a ranking's (or a chat turn's) best tier is desirable and its worst not."
    )

    def blocks(self, dataset: Dataset, judgement: Judgement) -> list[Block]:
        return _comparison_blocks(dataset, judgement, _labelled_block, ends_labelled, labelled)


def _labelled_block(
    prompt: list[chat.Message], replies: Replies, found: list[tuple[str, bool]]
) -> Block | None:
    ids = [candidate for candidate, _ in found]
    if not replies.keys() >= set(ids):
        return None
    varying: dict[str, list[Any]] = {
        "completion": [replies[c] for c in ids],
        "label": [label for _, label in found],
        "completion_id": ids,
    }
    return Block(len(found), {"prompt": prompt}, varying)


def chat_turns(answer: Any) -> list[dict[str, Any]]:
    """The stored turns of a chat answer (questions.chat documents their shape)."""
    turns = answer.get("turns") if isinstance(answer, dict) else None
    return [turn for turn in turns if isinstance(turn, dict)] if isinstance(turns, list) else []


def _chat_turns(
    judgement: Judgement,
) -> Iterator[tuple[list[chat.Message], Replies, list[list[str]]]]:
    """Per turn of a chat answer: the messages sent to the models, each candidate as a reply,
    and the worker's ranking of them."""
    for turn in chat_turns(judgement.answer):
        yield list(turn["prompt"]), _replies(turn.get("candidates", [])), turn.get("ranking") or []


Compared = tuple[list[chat.Message], Replies]


def _compared(dataset: Dataset, judgement: Judgement) -> Compared | None:
    """The prompt and each candidate as a reply, or None (counted) without them. The item's
    annotations follow each other, so the last item's are kept per question: its rows then
    share their messages, which the Parquet writer converts once. A live answer has its
    own: the prompt sent to the models and the candidates they generated."""
    live = judgement.answer.get("live") if isinstance(judgement.answer, dict) else None
    if isinstance(live, dict):
        return list(live["prompt"]), _replies(live["candidates"])
    kept = dataset.last_items.get(judgement.question.name)
    if kept is None or kept[0] is not judgement.fields:
        kept = (judgement.fields, _item_compared(judgement))
        dataset.last_items[judgement.question.name] = kept
    found = kept[1]
    if isinstance(found, str):
        dataset.skipped[found] += 1
        return None
    return found


def _replies(generated: Iterable[Mapping[str, Any]]) -> Replies:
    """Generated candidates (a chat turn's, a live answer's) as replies by id."""
    return {c["id"]: chat.assistant(c["text"]) for c in generated}


def _item_compared(judgement: Judgement) -> Compared | str:
    prompt = chat.prompt(judgement.fields)
    if prompt is None:
        return NO_PROMPT
    texts = chat.candidate_texts(judgement.fields, judgement.question.settings.field)
    if texts is None:
        return NO_CANDIDATES
    return list(prompt), {candidate: chat.assistant(text) for candidate, text in texts.items()}


class RubricScores(DatasetKind):
    name = "rubric"
    title = "rubric scores (prompt, completion, a column per criterion)"
    question_types = frozenset({"rubric"})
    columns = (Column("prompt", "messages"), Column("completion", "reply"))
    trainers = "reward modelling and evaluation (no TRL trainer reads rubric scores as such)"
    rules = (
        "one column per criterion (null for n/a), beside it its justification (per "
        "annotation) or the consensus's confidence (aggregated)."
    )

    def prepare(self, project: ExportProject) -> None:
        own = [*self.columns, *ITEM_COLUMNS, *PER_ANNOTATION.columns, *CONSENSUS.columns]
        taken = {c.name for c in own}
        criterion_columns = [
            *_criterion_columns(project, PER_ANNOTATION),
            *_criterion_columns(project, CONSENSUS)[1::2],
        ]
        for column in criterion_columns:
            if column.name in taken:
                raise ValidationFailed(
                    f"rubric criterion column {column.name!r} clashes with the dataset's own"
                    " column of that name",
                    field="format",
                    value=column.name,
                    expected="criteria named other than " + ", ".join(sorted(taken)),
                )
            taken.add(column.name)

    def all_columns(self, project: ExportProject, provenance: Provenance) -> list[Column]:
        return super().all_columns(project, provenance) + _criterion_columns(project, provenance)

    def blocks(self, dataset: Dataset, judgement: Judgement) -> list[Block]:
        prompt, response = chat.rated(judgement.fields)
        row: Row = {
            "prompt": None if prompt is None else list(prompt),
            "completion": None if response is None else chat.assistant(response),
        }
        beside = "justification" if dataset.provenance is PER_ANNOTATION else "confidence"
        answer = judgement.answer
        for criterion in dataset.criteria:
            entry = answer.get(criterion)
            entry = entry if isinstance(entry, dict) else {}
            score = entry.get("score")
            row[criterion] = None if score == NA else score
            row[f"{criterion}_{beside}"] = entry.get(beside)
        return one_row(row)


def criteria(project: ExportProject) -> list[str]:
    """Every rubric question's criteria, each name once, in the order the questions list them."""
    names: dict[str, None] = {}
    for question in project.questions:
        if question.type == "rubric":
            names.update((c["name"], None) for c in question.settings.get("criteria", []))
    return list(names)


def _criterion_columns(project: ExportProject, provenance: Provenance) -> list[Column]:
    beside: tuple[str, ColumnKind] = (
        ("justification", "string") if provenance is PER_ANNOTATION else ("confidence", "float")
    )
    columns = []
    for criterion in criteria(project):
        columns += [Column(criterion, "int"), Column(f"{criterion}_{beside[0]}", beside[1])]
    return columns


SFT, PREFERENCE, KTO, RUBRIC = Sft(), Preference(), Kto(), RubricScores()


def asked(types: frozenset[str], project: ExportProject) -> list[Asked]:
    return [Asked.of(q) for q in project.questions if q.type in types]
