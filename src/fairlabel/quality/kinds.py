"""How answers of each kind aggregate and agree: a small registry keyed by the question
type's `answer_kind`, so the service never branches on a type name.

Each kind gives the consensus of one item's answers (the incremental method, run on submit),
optionally a whole-project method (Dawid-Skene for label, rating and multi-label answers), and
its agreement figures. Confidence and "agreeing" are computed by the service from the question
type's own `score` (0 to 1), so every kind measures support for its answer the same way.

Documented choices:
- categorical / ordinal: majority vote, ties to the first label (or lowest rating);
  Dawid-Skene on demand. Ratings are Likert points whose spacing is unknown, so their
  headline agreement is ordinal alpha; interval alpha is reported beside it.
- categorical_set: a label is in the consensus when at least half the annotators ticked it;
  Dawid-Skene per label on demand, confidence = P(every label decision is right).
- free_text: the most common answer after case folding and collapsing whitespace (ties to
  the earliest); the consensus is that group's first answer as written.
- spans: character voting (`span_vote`), a span kept where at least half the annotators
  marked it; with the question's allow_overlap off, overlapping spans of different labels
  are settled by keeping the one more annotators marked (then the higher confidence, the
  earlier, the longer), so the consensus is an answer the question itself would accept.
- boxes: weighted box fusion per label; a fused box is kept when at least half the
  annotators drew it.
- polygons: polygons of one label are clustered by IoU (>= 0.5, one polygon per annotator
  per cluster, the most central polygons seeding clusters); a cluster that at least half the
  annotators contributed to is represented by its medoid, the member with the highest summed
  IoU to the others (fusing outlines with different vertex counts has no standard answer).
- ranking: Bradley-Terry over the item's rankings; candidates with equal strength share a tier.
- pairwise: a vote over the four outcomes a, b, tie and both_bad, a tie being an outcome
  like the others (so tie, tie, a is a tie). A draw never picks a side nobody won: a draw
  that includes "tie" is a tie, one of "both_bad" with a side is "both_bad", one of a with b
  is a tie. The answer carries the tally (`votes`), which the aggregated export turns into
  the preference pair and its share (see exports.aggregated).
- live ranking and pairwise (candidates generated for each worker, questions.base.
  LiveCandidates): the first answer, as for chat, since no two workers judged the same
  candidates; agreement is undefined, with that reason.
- rubric: per criterion, n/a when more annotators said n/a than scored, else the lower median
  of the scores (ordinal scores have no mean, and the lower median stays on the scale);
  each criterion carries its confidence, the share of annotators within the question's
  tolerance of it. Agreement is ordinal alpha per criterion (n/a is a missing value).
- rewrite: the medoid, the rewrite with the least mean normalised edit distance to the
  others (ties to the earliest), as written with its diff. Agreement is the mean normalised
  edit distance between two annotators' rewrites, beside how far rewrites moved from the
  original (questions.rewrite says which distance)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, ClassVar

import numpy as np

from fairlabel.errors import ValidationFailed
from fairlabel.quality import aggregation, agreement
from fairlabel.quality.agreement import Level
from fairlabel.questions import rewrite, rubric
from fairlabel.questions.base import candidates

#: Who answered what on one item: (worker id, answer), in submission order.
Answers = Sequence[tuple[int, Any]]
#: Every item's answers to one question.
ByItem = Mapping[int, Answers]

#: A kept cluster (fused box, polygon, span) needs at least this share of the annotators.
MIN_SHARE = 0.5
IOU_MATCH = 0.5
MAJORITY_VOTE = "majority_vote"
DAWID_SKENE = "dawid_skene"


@dataclass(frozen=True, slots=True)
class Figure:
    """One agreement figure; `value` None always comes with the reason it is undefined
    (JSON has no NaN, and a client must know why a number is missing)."""

    name: str
    value: float | None
    reason: str | None = None


NO_PAIRS = "no item has two annotations yet: agreement needs two annotators on one item"
LIVE_CANDIDATES = (
    "live candidates: each worker judged candidates generated for them, so workers'"
    " answers are not about the same responses (the consensus is the first answer)"
)
NO_VARIATION = "every answer is the same value: alpha is undefined without variation"


class Aggregator:
    """One answer kind. `incremental` is the per-item method; `methods` every method a
    whole-project recompute accepts, the first being its default."""

    kind: ClassVar[str]
    incremental: ClassVar[str]
    methods: ClassVar[tuple[str, ...]]

    def consensus(self, settings: Any, answers: Answers) -> Any:
        """The incremental method's answer for one item (answers is never empty)."""
        raise NotImplementedError

    def project(
        self, settings: Any, method: str, by_item: ByItem
    ) -> dict[int, tuple[Any, float | None]]:
        """Every item's (answer, confidence); confidence None means "the service measures
        it as the annotators' mean score against the answer" (the vote methods)."""
        return {
            item: (self.consensus(settings, answers), None) for item, answers in by_item.items()
        }

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        raise NotImplementedError

    def classes(self, settings: Any) -> list[Any] | None:
        """The answer values of a kind with a fixed set of them (for confusion matrices)."""
        return None

    def class_of(self, answer: Any) -> Any:
        """Which of `classes` an answer is."""
        return answer

    exported_figures: ClassVar[tuple[str, ...]] = ()
    """What `exported` adds to each consensus in the aggregated export, in column order."""

    def exported(self, settings: Any, answer: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Figures the aggregated export adds beside a consensus answer, from the answer and
        the item's fields."""
        return {}


_REGISTRY: dict[str, Aggregator] = {}


def register(cls: type[Aggregator]) -> type[Aggregator]:
    _REGISTRY[cls.kind] = cls()
    return cls


def aggregator_for(kind: str) -> Aggregator:
    return _REGISTRY[kind]


# --- choices from a fixed list ------------------------------------------------------------


@register
class Categorical(Aggregator):
    kind = "categorical"
    incremental = MAJORITY_VOTE
    methods = (DAWID_SKENE, MAJORITY_VOTE)
    levels: ClassVar[tuple[Level, ...]] = ("nominal",)

    def classes(self, settings: Any) -> list[Any]:
        return list(settings.labels)

    def consensus(self, settings: Any, answers: Answers) -> Any:
        counts = Counter(answer for _, answer in answers)
        return max(self.classes(settings), key=lambda value: counts[value])

    def project(
        self, settings: Any, method: str, by_item: ByItem
    ) -> dict[int, tuple[Any, float | None]]:
        if method != DAWID_SKENE:
            return super().project(settings, method, by_item)
        classes = self.classes(settings)
        coded = _Coded.of(by_item, {value: code for code, value in enumerate(classes)})
        if coded.empty:
            return {}
        result = aggregation.dawid_skene(
            coded.items,
            coded.workers,
            coded.values,
            len(coded.item_ids),
            coded.n_workers,
            len(classes),
        )
        return {
            item: (classes[int(result.labels[k])], float(result.confidence[k]))
            for k, item in enumerate(coded.item_ids)
        }

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        codes = {value: code for code, value in enumerate(self.classes(settings))}
        coded = _Coded.of(by_item, codes)
        return [_alpha(f"alpha_{level}", coded, level) for level in self.levels]


@register
class Ordinal(Categorical):
    """Ratings, coded as their offset from the scale's minimum: interval alpha on the codes
    equals interval alpha on the ratings, since a shift changes no difference."""

    kind = "ordinal"
    levels = ("ordinal", "interval")

    def classes(self, settings: Any) -> list[Any]:
        return list(range(settings.min, settings.max + 1))


@register
class CategoricalSet(Aggregator):
    kind = "categorical_set"
    incremental = "per_label_vote"
    methods = (DAWID_SKENE, "per_label_vote")

    def consensus(self, settings: Any, answers: Answers) -> Any:
        ticked = Counter(label for _, answer in answers for label in answer)
        return [label for label in settings.labels if ticked[label] >= MIN_SHARE * len(answers)]

    def project(
        self, settings: Any, method: str, by_item: ByItem
    ) -> dict[int, tuple[Any, float | None]]:
        if method != DAWID_SKENE:
            return super().project(settings, method, by_item)
        coded = _Coded.of(by_item, None)
        if coded.empty:
            return {}
        labels = list(settings.labels)
        chosen = np.array([[label in answer for label in labels] for answer in coded.answers])
        result = aggregation.multi_label(
            coded.items, coded.workers, chosen, len(coded.item_ids), coded.n_workers
        )
        confidence = result.confidence.prod(axis=1)
        return {
            item: (
                [label for j, label in enumerate(labels) if result.present[k, j]],
                float(confidence[k]),
            )
            for k, item in enumerate(coded.item_ids)
        }

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        """Nominal alpha of each label as a yes/no question, and their mean."""
        per_label = []
        for label in settings.labels:
            ticks = _mapped(by_item, _ticked(label))
            per_label.append(
                _alpha(f"alpha_nominal[{label}]", _Coded.of(ticks, _YES_NO), "nominal")
            )
        mean = _mean_of("alpha_nominal_mean", per_label, "no label has a defined alpha")
        return [mean, *per_label]


_YES_NO = {False: 0, True: 1}


def _ticked(label: str) -> Callable[[list[str]], bool]:
    return lambda answer: label in answer


@register
class FreeText(Aggregator):
    kind = "free_text"
    incremental = "most_common_text"
    methods = (incremental,)

    def consensus(self, settings: Any, answers: Answers) -> Any:
        counts = Counter(normalised(answer) for _, answer in answers)
        best = max(counts.values())
        return next(answer for _, answer in answers if counts[normalised(answer)] == best)

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        texts = _mapped(by_item, normalised)
        return [_alpha("alpha_nominal", _Coded.of(texts, _codes_of(texts)), "nominal")]


def normalised(text: str) -> str:
    """The text question's own notion of the same transcription."""
    return " ".join(text.split()).casefold()


# --- spans and shapes ---------------------------------------------------------------------


@register
class Spans(Aggregator):
    kind = "spans"
    incremental = "span_vote"
    methods = (incremental,)

    def consensus(self, settings: Any, answers: Answers) -> Any:
        voted = agreement.span_vote(
            [_span_tuples(answer) for _, answer in answers],
            MIN_SHARE,
            allow_overlap=settings.allow_overlap,
        )
        return [{"start": s.start, "end": s.end, "label": s.label} for s in voted]

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        scores = [agreement.span_f1(_span_tuples(a), _span_tuples(b)) for a, b in _pairs(by_item)]
        return [
            _mean_figure("span_f1_exact", [s.exact for s in scores], NO_PAIRS),
            _mean_figure("span_f1_overlap", [s.overlap for s in scores], NO_PAIRS),
        ]


def _span_tuples(answer: list[dict[str, Any]]) -> list[tuple[int, int, Hashable]]:
    return [(span["start"], span["end"], span["label"]) for span in answer]


class Shapes(Aggregator):
    """Boxes and polygons: agreement is the F1 of shapes matched one to one by label and
    IoU >= 0.5 (mean over annotator pairs), and the mean IoU of the matches."""

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        f1s: list[float] = []
        ious: list[float] = []
        for a, b in _pairs(by_item):
            matched, total = 0, len(a) + len(b)
            for label in {shape["label"] for shape in [*a, *b]}:
                mine = [self.geometry(s) for s in a if s["label"] == label]
                theirs = [self.geometry(s) for s in b if s["label"] == label]
                if mine and theirs:
                    matches = agreement.match_by_iou(self.pairwise_iou(mine, theirs), IOU_MATCH)
                    matched += len(matches)
                    ious += [m.iou for m in matches]
            f1s.append(1.0 if total == 0 else 2 * matched / total)
        return [
            _mean_figure("f1_iou50", f1s, NO_PAIRS),
            _mean_figure(
                "mean_iou", ious, NO_PAIRS if not f1s else "no shapes matched at IoU >= 0.5"
            ),
        ]

    def support(self, kept: Sequence[dict[str, Any]], answers: Sequence[Any]) -> list[float]:
        """Per consensus shape, the share of the annotators who drew it: a shape of theirs
        with its label, matched one to one at IoU >= 0.5 (an export's per-object score)."""
        counts = [0] * len(kept)
        for answer in answers:
            for label in {shape["label"] for shape in kept}:
                ours = [k for k, shape in enumerate(kept) if shape["label"] == label]
                theirs = [self.geometry(s) for s in answer if s["label"] == label]
                if not theirs:
                    continue
                iou = self.pairwise_iou([self.geometry(kept[k]) for k in ours], theirs)
                for match in agreement.match_by_iou(iou, IOU_MATCH):
                    counts[ours[match.a]] += 1
        return [count / len(answers) if answers else 0.0 for count in counts]

    def geometry(self, shape: dict[str, Any]) -> Any:
        raise NotImplementedError

    def pairwise_iou(self, a: list[Any], b: list[Any]) -> Any:
        raise NotImplementedError


@register
class Boxes(Shapes):
    kind = "boxes"
    incremental = "weighted_box_fusion"
    methods = (incremental,)

    def geometry(self, shape: dict[str, Any]) -> Any:
        return [shape["x"], shape["y"], shape["width"], shape["height"]]

    def pairwise_iou(self, a: list[Any], b: list[Any]) -> Any:
        return agreement.box_iou(a, b)

    def consensus(self, settings: Any, answers: Answers) -> Any:
        fused_boxes = []
        for label in _labels_drawn(answers):
            per_annotator = [
                np.array([self.geometry(s) for s in answer if s["label"] == label]).reshape(-1, 4)
                for _, answer in answers
            ]
            fused = agreement.weighted_box_fusion(per_annotator)
            for box, share in zip(fused.boxes, fused.confidence, strict=True):
                if share >= MIN_SHARE:
                    x, y, width, height = (round(float(v), 2) for v in box)
                    fused_boxes.append(
                        {"x": x, "y": y, "width": width, "height": height, "label": label}
                    )
        return fused_boxes


@register
class Polygons(Shapes):
    kind = "polygons"
    incremental = "polygon_medoid"
    methods = (incremental,)

    def geometry(self, shape: dict[str, Any]) -> Any:
        return shape["points"]

    def pairwise_iou(self, a: list[Any], b: list[Any]) -> Any:
        return agreement.polygon_iou(a, b)

    def consensus(self, settings: Any, answers: Answers) -> Any:
        kept = []
        for label in _labels_drawn(answers):
            shapes = [
                (owner, s["points"])
                for owner, (_, answer) in enumerate(answers)
                for s in answer
                if s["label"] == label
            ]
            outlines = [p for _, p in shapes]
            iou = self.pairwise_iou(outlines, outlines)
            for members in _clusters(iou, [owner for owner, _ in shapes]):
                if len(members) >= MIN_SHARE * len(answers):
                    central = iou[np.ix_(members, members)].sum(axis=1)
                    kept.append(
                        {"points": shapes[members[int(central.argmax())]][1], "label": label}
                    )
        return kept


def _labels_drawn(answers: Answers) -> list[str]:
    return sorted({shape["label"] for _, answer in answers for shape in answer})


def _clusters(iou: Any, owners: list[int]) -> list[list[int]]:
    """Greedy IoU clustering, the most central shapes first: each joins the cluster whose
    seed it overlaps most (IoU >= 0.5) among those without a shape by the same annotator."""
    clusters: list[list[int]] = []
    for index in np.argsort(-iou.sum(axis=1), kind="stable"):
        fits = [
            c
            for c, members in enumerate(clusters)
            if iou[index, members[0]] >= IOU_MATCH
            and owners[index] not in {owners[m] for m in members}
        ]
        if fits:
            clusters[max(fits, key=lambda c: iou[index, clusters[c][0]])].append(int(index))
        else:
            clusters.append([int(index)])
    return clusters


# --- comparisons --------------------------------------------------------------------------


@register
class Ranking(Aggregator):
    kind = "ranking"
    incremental = "bradley_terry"
    methods = (incremental,)

    def consensus(self, settings: Any, answers: Answers) -> Any:
        if settings.live is not None:
            return answers[0][1]
        ids = sorted({c for _, answer in answers for tier in answer for c in tier})
        if len(ids) < 2:
            return [ids]
        code = {c: k for k, c in enumerate(ids)}
        winners, losers, ties = aggregation.rankings_to_pairs(
            [[[code[c] for c in tier] for tier in answer] for _, answer in answers]
        )
        scores = aggregation.bradley_terry(winners, losers, len(ids), ties).scores
        tiers: dict[float, list[str]] = {}
        for k in np.argsort(-scores, kind="stable"):
            tiers.setdefault(round(float(scores[k]), 9), []).append(ids[k])
        return list(tiers.values())

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        if settings.live is not None:
            return [Figure("kendall_tau", None, LIVE_CANDIDATES)]
        taus = [_tau(a, b) for a, b in _pairs(by_item)]
        defined = [t for t in taus if t is not None]
        reason = NO_PAIRS if not taus else "every pair of rankings has a side with all tied"
        return [_mean_figure("kendall_tau", defined, reason)]


def _tau(a: list[list[str]], b: list[list[str]]) -> float | None:
    rank_a = {c: k for k, tier in enumerate(a) for c in tier}
    rank_b = {c: k for k, tier in enumerate(b) for c in tier}
    common = sorted(rank_a.keys() & rank_b.keys())
    return agreement.kendall_tau([rank_a[c] for c in common], [rank_b[c] for c in common])


@register
class Pairwise(Aggregator):
    kind = "pairwise"
    incremental = MAJORITY_VOTE
    methods = (incremental,)
    exported_figures = ("chosen", "rejected", "share")

    def consensus(self, settings: Any, answers: Answers) -> Any:
        if settings.live is not None:
            return answers[0][1]
        counted = Counter(answer["choice"] for _, answer in answers)
        votes = {outcome: counted[outcome] for outcome in PAIR_OUTCOMES}
        return {"choice": _pair_winner(votes), "strength": None, "votes": votes}

    def classes(self, settings: Any) -> list[Any]:
        return list(settings.choices())

    def class_of(self, answer: Any) -> Any:
        return answer["choice"]

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        if settings.live is not None:
            return [Figure("alpha_nominal", None, LIVE_CANDIDATES)]
        choices = _mapped(by_item, lambda answer: answer["choice"])
        codes = {c: k for k, c in enumerate(PAIR_OUTCOMES)}
        return [_alpha("alpha_nominal", _Coded.of(choices, codes), "nominal")]

    def exported(self, settings: Any, answer: Any, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The preference pair a trainer takes (chosen and rejected candidate ids, null unless
        the consensus picked a side) and the share of annotators behind the consensus."""
        votes = answer.get("votes")
        share = votes[answer["choice"]] / sum(votes.values()) if votes else None
        pair = pair_ids(fields, settings.field, answer) if answer["choice"] in PAIR_SIDES else None
        if pair is None:
            return {"chosen": None, "rejected": None, "share": share}
        chosen, rejected = pair if answer["choice"] == "a" else pair[::-1]
        return {"chosen": chosen, "rejected": rejected, "share": share}


PAIR_SIDES = ("a", "b")
PAIR_OUTCOMES = (*PAIR_SIDES, "tie", "both_bad")


def pair_ids(fields: Mapping[str, Any], field: str, answer: Any) -> tuple[str, str] | None:
    """The two candidate ids as the question names them (a live answer's own); None where
    the item's candidates were changed since (an export must not stop halfway over one item)."""
    if "live" in answer:
        return PAIR_SIDES
    try:
        first, second = candidates(fields, field)
    except (ValidationFailed, ValueError):
        return None
    return first, second


def _pair_winner(votes: dict[str, int]) -> str:
    most = max(votes.values())
    leaders = {outcome for outcome, count in votes.items() if count == most}
    if len(leaders) == 1:
        return leaders.pop()
    return "both_bad" if "both_bad" in leaders and "tie" not in leaders else "tie"


# --- LLM evaluation --------------------------------------------------------------------


@register
class Rubric(Aggregator):
    kind = "rubric"
    incremental = "median"
    methods = (incremental,)

    def consensus(self, settings: Any, answers: Answers) -> Any:
        return {
            criterion.name: _criterion_consensus(
                [rubric.score_of(answer, criterion.name) for _, answer in answers],
                settings.tolerance,
            )
            for criterion in settings.criteria
        }

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        """Ordinal alpha of each criterion, and their mean."""
        per_criterion = []
        for criterion in settings.criteria:
            scores = _mapped(by_item, _scored(criterion.name))
            codes = {
                point: point - criterion.min for point in range(criterion.min, criterion.max + 1)
            }
            per_criterion.append(
                _alpha(f"alpha_ordinal[{criterion.name}]", _Coded.of(scores, codes), "ordinal")
            )
        mean = _mean_of("alpha_ordinal_mean", per_criterion, "no criterion has a defined alpha")
        return [mean, *per_criterion]


def _scored(criterion: str) -> Callable[[Any], Any]:
    return lambda answer: rubric.score_of(answer, criterion)


def _criterion_consensus(scores: list[Any], tolerance: int) -> dict[str, Any]:
    given = [s for s in scores if s is not None]
    numbers = [s for s in given if s != rubric.NA]
    chosen = (
        rubric.NA
        if not numbers or len(given) - len(numbers) > len(numbers)
        else statistics.median_low(numbers)
    )
    agreeing = sum(rubric.same_score(s, chosen, tolerance) for s in given)
    return {"score": chosen, "confidence": agreeing / len(given) if given else 0.0}


@register
class Rewrite(Aggregator):
    kind = "rewrite"
    incremental = "medoid"
    methods = (incremental,)

    def consensus(self, settings: Any, answers: Answers) -> Any:
        if len(answers) == 1:
            return answers[0][1]
        distances = rewrite.edit_distances([answer["text"] for _, answer in answers])
        return answers[int(np.argmin(distances.sum(axis=1)))][1]

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        between = [rewrite.edit_distance(a["text"], b["text"]) for a, b in _pairs(by_item)]
        moved = [
            rewrite.edit_distance(rewrite.diff_original(answer["diff"]), answer["text"])
            for answers in by_item.values()
            for _, answer in answers
        ]
        return [
            _mean_figure("edit_distance_between_annotators", between, NO_PAIRS),
            _mean_figure("edit_distance_from_original", moved, "no annotations yet"),
        ]


@register
class Chat(Aggregator):
    """Each worker's conversation has candidates of its own, so there is nothing to agree
    on across workers: the consensus is the first conversation, and the figure how long
    conversations run."""

    kind = "chat"
    incremental = "first"
    methods = (incremental,)

    def consensus(self, settings: Any, answers: Answers) -> Any:
        return answers[0][1]

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        turns = [
            float(len(answer["turns"])) for answers in by_item.values() for _, answer in answers
        ]
        return [_mean_figure("turns_per_conversation", turns, "no annotations yet")]


@register
class Prompt(Chat):
    """Each worker writes a prompt of their own, so the consensus is the first, as for chat;
    the figures are what a client filters on: the share of near-duplicates and, in red-team
    mode, of attempts that succeeded (questions.prompt)."""

    kind = "prompt"

    def figures(self, settings: Any, by_item: ByItem) -> list[Figure]:
        answers = [answer for answers in by_item.values() for _, answer in answers]
        duplicates = [float(bool(a.get("duplicate"))) for a in answers]
        figures = [_mean_figure("near_duplicate_share", duplicates, "no annotations yet")]
        if settings.red_team is not None:
            succeeded = [float(a["succeeded"]) for a in answers]
            figures.append(_mean_figure("red_team_success_rate", succeeded, "no annotations yet"))
        return figures


# --- shared -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Coded:
    """Long-form integer arrays of one question's answers (item, worker and value codes),
    leaving out answers whose value the current settings no longer know."""

    item_ids: list[int]
    items: Any
    workers: Any
    values: Any
    answers: list[Any]
    n_workers: int

    @property
    def empty(self) -> bool:
        return len(self.answers) == 0

    @classmethod
    def of(cls, by_item: ByItem, codes: dict[Any, int] | None) -> _Coded:
        rows = [
            (item, worker, answer)
            for item, answers in by_item.items()
            for worker, answer in answers
            if codes is None or answer in codes
        ]
        item_ids = sorted({item for item, _, _ in rows})
        item_code = {item: k for k, item in enumerate(item_ids)}
        worker_code: dict[int, int] = {}
        for _, worker, _ in rows:
            worker_code.setdefault(worker, len(worker_code))
        return cls(
            item_ids=item_ids,
            items=np.array([item_code[item] for item, _, _ in rows], dtype=np.int64),
            workers=np.array([worker_code[worker] for _, worker, _ in rows], dtype=np.int64),
            values=np.array(
                [codes[a] if codes is not None else 0 for _, _, a in rows], dtype=np.int64
            ),
            answers=[a for _, _, a in rows],
            n_workers=max(len(worker_code), 1),
        )


def _mapped(by_item: ByItem, value: Callable[[Any], Any]) -> ByItem:
    """The same answers, each replaced by what agreement compares of it."""
    return {
        item: [(worker, value(answer)) for worker, answer in answers]
        for item, answers in by_item.items()
    }


def _codes_of(by_item: ByItem) -> dict[Any, int]:
    codes: dict[Any, int] = {}
    for answers in by_item.values():
        for _, value in answers:
            codes.setdefault(value, len(codes))
    return codes


def _alpha(name: str, coded: _Coded, level: Level) -> Figure:
    if coded.empty:
        return Figure(name, None, "no annotations yet")
    if not (np.bincount(coded.items) >= 2).any():
        return Figure(name, None, NO_PAIRS)
    value = agreement.krippendorff_alpha(coded.items, coded.workers, coded.values, level)
    return Figure(name, value, None if value is not None else NO_VARIATION)


def _mean_of(name: str, figures: list[Figure], reason: str) -> Figure:
    """The mean of the figures that are defined, or why there is none."""
    return _mean_figure(name, [f.value for f in figures if f.value is not None], reason)


def _mean_figure(name: str, values: list[float], reason: str) -> Figure:
    return Figure(name, float(np.mean(values)), None) if values else Figure(name, None, reason)


def _pairs(by_item: ByItem) -> Iterator[tuple[Any, Any]]:
    """Every pair of answers given to the same item."""
    for answers in by_item.values():
        for (_, a), (_, b) in combinations(answers, 2):
            yield a, b
