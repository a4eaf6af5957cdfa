"""How much workers agree: Krippendorff's alpha, per-item agreement, IoU matching for boxes
and polygons, span F1 and Kendall's tau; and the geometric consensus that needs IoU or
overlap (weighted box fusion, span voting)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import shapely
from scipy import stats
from scipy.optimize import linear_sum_assignment

from fairlabel.quality._checks import Floats, Int64s, float_array, index_array, same_length

Level = Literal["nominal", "ordinal", "interval"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval")
Span = tuple[int, int, Hashable]


class Match(NamedTuple):
    a: int
    b: int
    iou: float


@dataclass(frozen=True)
class ShapeAgreement:
    """F1 of matched shapes (a match is a pair at IoU >= threshold) and the mean IoU of the
    matches; mean_iou is None when nothing matched. Two empty annotations agree: f1 = 1."""

    f1: float
    mean_iou: float | None
    matches: list[Match]


@dataclass(frozen=True)
class SpanF1:
    """`exact`: spans equal in start, end and label; `overlap`: a span counts as found when a
    span of the same label overlaps it. Two empty annotations agree: both 1."""

    exact: float
    overlap: float


@dataclass(frozen=True)
class FusedBoxes:
    """Fused [x, y, w, h] boxes, the share of annotators behind each, and how many."""

    boxes: Floats
    confidence: Floats
    support: Int64s


class ConsensusSpan(NamedTuple):
    start: int
    end: int
    label: Hashable
    confidence: float
    votes: int
    """Workers who marked some of it with its label."""


def krippendorff_alpha(
    units: npt.ArrayLike,
    coders: npt.ArrayLike,
    values: npt.ArrayLike,
    level: Level = "nominal",
) -> float | None:
    """Krippendorff's alpha from one row per (unit, coder, value), as the `krippendorff`
    package computes it from a coders x units matrix.

    Units with fewer than two values are not pairable and are dropped. Returns None where alpha
    is undefined (0/0): no pairable values, or every pairable value the same (the data show no
    variation; the `krippendorff` package raises there). Coders enter only the checks: alpha
    compares the values within each unit, whoever gave them."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    unit_codes = index_array("units", units)
    coder_codes = index_array("coders", coders)
    numbers = float_array("values", values)
    same_length(units=unit_codes, coders=coder_codes, values=numbers)
    unit_codes, numbers = _pairable(unit_codes, numbers)
    if len(numbers) == 0:
        return None
    if level == "nominal":
        return _nominal_alpha(unit_codes, _compact(numbers))
    if level == "ordinal":
        numbers = _midranks(numbers)
    return _interval_alpha(unit_codes, numbers)


def per_item_agreement(units: npt.ArrayLike, values: npt.ArrayLike) -> tuple[Int64s, Floats]:
    """(unit codes, share of agreeing pairs) for every unit with at least two values, nominal:
    the chance that two values drawn without replacement from the unit are equal."""
    unit_codes = index_array("units", units)
    numbers = float_array("values", values)
    same_length(units=unit_codes, values=numbers)
    ids, unit_index = np.unique(unit_codes, return_inverse=True)
    pair_units, pair_counts = _pair_counts(unit_index, _compact(numbers))
    sizes = np.bincount(unit_index).astype(np.float64)
    agreeing = np.bincount(pair_units, pair_counts * (pair_counts - 1), minlength=len(ids))
    keep = sizes >= 2
    return ids[keep], agreeing[keep] / (sizes[keep] * (sizes[keep] - 1))


def box_iou(a: npt.ArrayLike, b: npt.ArrayLike) -> Floats:
    """Pairwise IoU of boxes given as [x, y, w, h] rows: an len(a) x len(b) matrix. Boxes
    whose union has no area (both empty) have IoU 0."""
    first, second = _boxes("a", a), _boxes("b", b)
    low = np.maximum(first[:, None, :2], second[None, :, :2])
    high = np.minimum(
        first[:, None, :2] + first[:, None, 2:], second[None, :, :2] + second[None, :, 2:]
    )
    area_a, area_b = (first[:, 2] * first[:, 3])[:, None], (second[:, 2] * second[:, 3])[None, :]
    # (x + w) - x can round above w: the overlap is capped by either box's own area
    inter = np.minimum(np.prod(np.clip(high - low, 0, None), axis=2), np.minimum(area_a, area_b))
    union = area_a + area_b - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def polygon_iou(a: Sequence[npt.ArrayLike], b: Sequence[npt.ArrayLike]) -> Floats:
    """Pairwise IoU of polygons, each a sequence of (x, y) vertices: a len(a) x len(b) matrix.

    Exact areas by GEOS (shapely). A self-intersecting outline is repaired by
    `shapely.make_valid` (a bow-tie becomes its two triangles) rather than refused, since the
    polygons come from stored annotations."""
    first, second = _polygons("a", a), _polygons("b", b)
    inter = shapely.area(shapely.intersection(first[:, None], second[None, :]))
    union = shapely.area(first)[:, None] + shapely.area(second)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def match_by_iou(iou: npt.ArrayLike, threshold: float = 0.5) -> list[Match]:
    """One-to-one matches maximising the summed IoU over pairs at IoU >= threshold (Hungarian
    assignment); pairs under the threshold never match."""
    matrix = np.asarray(iou, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"iou must be a 2-D matrix, got shape {matrix.shape}")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    gain = np.where(matrix >= threshold, matrix, 0.0)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return [
        Match(int(r), int(c), float(matrix[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if gain[r, c] > 0
    ]


def match_boxes(a: npt.ArrayLike, b: npt.ArrayLike, threshold: float = 0.5) -> list[Match]:
    """Boxes of annotation a matched one-to-one with boxes of annotation b."""
    return match_by_iou(box_iou(a, b), threshold)


def box_agreement(a: npt.ArrayLike, b: npt.ArrayLike, threshold: float = 0.5) -> ShapeAgreement:
    """Agreement of two workers' boxes on one item."""
    return _shape_agreement(box_iou(a, b), threshold)


def polygon_agreement(
    a: Sequence[npt.ArrayLike], b: Sequence[npt.ArrayLike], threshold: float = 0.5
) -> ShapeAgreement:
    """Agreement of two workers' polygons on one item."""
    return _shape_agreement(polygon_iou(a, b), threshold)


def span_f1(a: Sequence[Span], b: Sequence[Span]) -> SpanF1:
    """Exact and overlap F1 between two workers' spans (start, end exclusive, label)."""
    first, second = _spans("a", a), _spans("b", b)
    if not first and not second:
        return SpanF1(1.0, 1.0)
    exact = sum((Counter(first) & Counter(second)).values())
    found_b = sum(any(_overlaps(s, t) for t in first) for s in second)
    found_a = sum(any(_overlaps(s, t) for t in second) for s in first)
    exact_f1 = 2 * exact / (len(first) + len(second))
    precision = found_b / len(second) if second else 0.0
    recall = found_a / len(first) if first else 0.0
    overlap_f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return SpanF1(exact_f1, overlap_f1)


def kendall_tau(rank_a: npt.ArrayLike, rank_b: npt.ArrayLike) -> float | None:
    """Kendall's tau-b (ties allowed) between two workers' ranks of the same candidates; None
    when it is undefined: fewer than two candidates, or one worker tied everything."""
    first, second = float_array("rank_a", rank_a), float_array("rank_b", rank_b)
    if same_length(rank_a=first, rank_b=second) < 2:
        return None
    if np.ptp(first) == 0 or np.ptp(second) == 0:
        return None
    return float(stats.kendalltau(first, second, variant="b").statistic)


def weighted_box_fusion(
    boxes: Sequence[npt.ArrayLike],
    scores: Sequence[npt.ArrayLike] | None = None,
    iou_threshold: float = 0.55,
) -> FusedBoxes:
    """Clusters the boxes of several annotators (`boxes[k]`: annotator k's [x, y, w, h] rows;
    call once per label) and fuses each cluster into its score-weighted mean box.

    After Solovyev et al.'s WBF: boxes are taken by falling score; each joins the cluster whose
    fused box overlaps it most at IoU >= iou_threshold and that has no box from the same
    annotator yet, else starts a cluster. Confidence = annotators in the cluster / annotators.
    `scores` (default 1) may carry each annotator's reliability or a model's box scores."""
    if not 0 < iou_threshold <= 1:
        raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
    if not boxes:
        raise ValueError("boxes must hold one array per annotator")
    rows, weights, owners = _stack_boxes(boxes, scores)
    clusters: list[list[int]] = []
    fused = np.empty((0, 4))
    for index in np.argsort(-weights, kind="stable"):
        target = _best_cluster(
            rows[index], fused, clusters, owners, int(owners[index]), iou_threshold
        )
        if target is None:
            clusters.append([int(index)])
            fused = np.vstack([fused, rows[index]])
        else:
            clusters[target].append(int(index))
            fused[target] = _weighted_mean_box(rows[clusters[target]], weights[clusters[target]])
    support = np.array([len(c) for c in clusters], dtype=np.int64)
    return FusedBoxes(fused, support / len(boxes), support)


def span_vote(
    spans_per_worker: Sequence[Sequence[Span]],
    min_share: float = 0.5,
    *,
    allow_overlap: bool = True,
) -> list[ConsensusSpan]:
    """Consensus spans by character voting: per label, each position covered by at least
    `min_share` of the workers (those who answered, with or without spans) is kept, and
    adjacent kept positions join into one span. Confidence = mean share over its characters;
    a worker's overlapping spans of one label cover a character once.

    Spans of different labels may overlap; with `allow_overlap` off they never do: see
    `_without_overlap` for which one is kept."""
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    if not spans_per_worker:
        raise ValueError("spans_per_worker must hold one list per worker")
    per_worker = [_spans(f"spans_per_worker[{k}]", s) for k, s in enumerate(spans_per_worker)]
    labels = sorted({span[2] for spans in per_worker for span in spans}, key=repr)
    result: list[ConsensusSpan] = []
    for label in labels:
        intervals = [[(s, e) for s, e, lab in spans if lab == label] for spans in per_worker]
        result += _vote_label(intervals, label, len(per_worker), min_share)
    if not allow_overlap:
        result = _without_overlap(result)
    return sorted(result, key=lambda span: (span.start, span.end, repr(span.label)))


def _without_overlap(spans: list[ConsensusSpan]) -> list[ConsensusSpan]:
    """Strongest first, a span is kept when it overlaps none kept before it. Strongest means
    more votes, then a higher confidence, then the earlier start, then the longer span, then
    the label's order (by repr), so the result never depends on the order of the answers."""
    kept: list[ConsensusSpan] = []
    for span in sorted(spans, key=_strength):
        if all(span.end <= other.start or other.end <= span.start for other in kept):
            kept.append(span)
    return kept


def _strength(span: ConsensusSpan) -> tuple[int, float, int, int, str]:
    return (-span.votes, -span.confidence, span.start, span.start - span.end, repr(span.label))


def _pairable(unit_codes: Int64s, numbers: Floats) -> tuple[Int64s, Floats]:
    """Only the values of units holding at least two, units renumbered from 0."""
    units = _compact(unit_codes)
    keep = np.bincount(units)[units] >= 2
    return _compact(units[keep]), numbers[keep]


def _compact(codes: npt.NDArray[np.generic]) -> Int64s:
    """Dense codes 0..k-1 in sorted order of the values; small non-negative integers go
    through a lookup table instead of a sort."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64)
    as_int = codes.astype(np.int64)
    if (as_int == codes).all() and as_int.min() >= 0 and as_int.max() < 4 * len(codes) + 1024:
        present = np.bincount(as_int) > 0
        return as_int if present.all() else (np.cumsum(present) - 1)[as_int]
    return np.unique(codes, return_inverse=True)[1].astype(np.int64)


def _pair_counts(unit_codes: Int64s, value_codes: Int64s) -> tuple[Int64s, Floats]:
    """(unit, count) for every (unit, value) pair present: n_uc of the coincidence matrix."""
    n_values = int(value_codes.max()) + 1
    keys = unit_codes * n_values + value_codes
    if n_values * (int(unit_codes.max()) + 1) <= 8 * len(keys) + 1024:
        counts = np.bincount(keys)
        present = np.flatnonzero(counts)
        return present // n_values, counts[present].astype(np.float64)
    present, counts = np.unique(keys, return_counts=True)
    return present // n_values, counts.astype(np.float64)


def _nominal_alpha(unit_codes: Int64s, value_codes: Int64s) -> float | None:
    """1 - (n-1)(n - Σ o_cc) / (n² - Σ n_c²): only the diagonal of the coincidences matters."""
    n = float(len(value_codes))
    pair_units, pair_counts = _pair_counts(unit_codes, value_codes)
    sizes = np.bincount(unit_codes).astype(np.float64)
    matching = float((pair_counts * (pair_counts - 1) / (sizes[pair_units] - 1)).sum())
    by_value = np.bincount(value_codes).astype(np.float64)
    expected = n * n - float((by_value**2).sum())
    if expected <= 0:
        return None
    return 1 - (n - 1) * (n - matching) / expected


def _midranks(numbers: Floats) -> Floats:
    """Krippendorff's ordinal distance (Σ_{g=c..k} n_g - (n_c + n_k)/2)² is the squared
    difference of the values' mid-ranks r_c = Σ_{g<=c} n_g - n_c/2, so ordinal alpha is
    interval alpha on mid-ranks."""
    codes = _compact(numbers)
    counts = np.bincount(codes).astype(np.float64)
    return (np.cumsum(counts) - counts / 2)[codes]


def _interval_alpha(unit_codes: Int64s, numbers: Floats) -> float | None:
    """1 - (n-1) Σ_u m_u SS_u / (m_u - 1) / (n SS): squared differences of all pairs summed
    through the sums of squared deviations (within each unit, and over all values)."""
    if numbers.min() == numbers.max():
        return None  # no variation; the sums below would be rounding noise, not zero
    n = float(len(numbers))
    sizes = np.bincount(unit_codes).astype(np.float64)
    means = np.bincount(unit_codes, weights=numbers) / sizes
    within = np.bincount(unit_codes, weights=(numbers - means[unit_codes]) ** 2)
    observed = float((sizes * within / (sizes - 1)).sum())
    total = float(((numbers - numbers.mean()) ** 2).sum())
    if total <= 0:
        return None
    return 1 - (n - 1) * observed / (n * total)


def _boxes(name: str, values: npt.ArrayLike) -> Floats:
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        return np.zeros((0, 4))
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{name} must be rows of [x, y, w, h], got shape {array.shape}")
    if not np.isfinite(array).all() or (array[:, 2:] < 0).any():
        raise ValueError(f"{name} must hold finite boxes with w >= 0 and h >= 0")
    return array


def _polygons(name: str, values: Sequence[npt.ArrayLike]) -> npt.NDArray[np.object_]:
    shapes = []
    for k, vertices in enumerate(values):
        points = np.asarray(vertices, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2 or len(points) < 3:
            raise ValueError(
                f"{name}[{k}] must be at least 3 (x, y) vertices, got shape {points.shape}"
            )
        if not np.isfinite(points).all():
            raise ValueError(f"{name}[{k}] holds NaN or infinity")
        shapes.append(shapely.make_valid(shapely.Polygon(points)))
    return np.array(shapes, dtype=object)


def _shape_agreement(iou: Floats, threshold: float) -> ShapeAgreement:
    n_a, n_b = iou.shape
    matches = match_by_iou(iou, threshold) if n_a and n_b else []
    if n_a + n_b == 0:
        return ShapeAgreement(1.0, None, [])
    mean_iou = float(np.mean([m.iou for m in matches])) if matches else None
    return ShapeAgreement(2 * len(matches) / (n_a + n_b), mean_iou, matches)


def _spans(name: str, spans: Sequence[Span]) -> list[Span]:
    checked = []
    for span in spans:
        if len(span) != 3:
            raise ValueError(f"{name} holds {span!r}; expected (start, end, label)")
        start, end, label = span
        if (
            not (isinstance(start, int | np.integer) and isinstance(end, int | np.integer))
            or not 0 <= start < end
        ):
            raise ValueError(f"{name} holds {span!r}; expected integers 0 <= start < end")
        checked.append((int(start), int(end), label))
    return checked


def _overlaps(s: Span, t: Span) -> bool:
    return s[2] == t[2] and s[0] < t[1] and t[0] < s[1]


def _stack_boxes(
    boxes: Sequence[npt.ArrayLike], scores: Sequence[npt.ArrayLike] | None
) -> tuple[Floats, Floats, Int64s]:
    """All annotators' boxes as rows, with each row's score and annotator."""
    per_annotator = [_boxes(f"boxes[{k}]", b) for k, b in enumerate(boxes)]
    if scores is None:
        per_score = [np.ones(len(b)) for b in per_annotator]
    elif len(scores) != len(boxes):
        raise ValueError(
            f"scores must hold one array per annotator ({len(boxes)}), got {len(scores)}"
        )
    else:
        per_score = [float_array(f"scores[{k}]", s) for k, s in enumerate(scores)]
    for k, (b, s) in enumerate(zip(per_annotator, per_score, strict=True)):
        if len(b) != len(s) or (s <= 0).any():
            raise ValueError(f"scores[{k}] must hold one positive score per box of boxes[{k}]")
    owners = np.concatenate(
        [np.full(len(b), k, dtype=np.int64) for k, b in enumerate(per_annotator)]
    )
    return np.vstack(per_annotator), np.concatenate(per_score), owners


def _best_cluster(
    box: Floats,
    fused: Floats,
    clusters: list[list[int]],
    owners: Int64s,
    owner: int,
    threshold: float,
) -> int | None:
    """The cluster whose fused box overlaps `box` most (at IoU >= threshold) and holds no box
    of the same annotator yet."""
    if not clusters:
        return None
    overlap = box_iou(box[None, :], fused)[0]
    for cluster in np.argsort(-overlap, kind="stable"):
        if overlap[cluster] < threshold:
            return None
        if owner not in owners[clusters[cluster]]:
            return int(cluster)
    return None


def _weighted_mean_box(rows: Floats, weights: Floats) -> Floats:
    """Score-weighted mean of the corners, back to [x, y, w, h]."""
    corners = np.hstack([rows[:, :2], rows[:, :2] + rows[:, 2:]])
    mean = weights @ corners / weights.sum()
    return np.concatenate([mean[:2], mean[2:] - mean[:2]])


def _vote_label(
    intervals: list[list[tuple[int, int]]], label: Hashable, n_workers: int, min_share: float
) -> list[ConsensusSpan]:
    """Coverage counts on the elementary segments between all span boundaries, then runs of
    segments covered by enough workers."""
    bounds = np.unique([p for spans in intervals for s, e in spans for p in (s, e)])
    covered = np.zeros((len(intervals), len(bounds) - 1), dtype=bool)
    for worker, spans in enumerate(intervals):
        for start, end in spans:
            covered[worker, np.searchsorted(bounds, start) : np.searchsorted(bounds, end)] = True
    share = covered.sum(axis=0) / n_workers
    kept = share >= min_share - 1e-12
    result = []
    for first, last in _runs(kept):
        lengths = np.diff(bounds[first : last + 2])
        confidence = float(share[first : last + 1] @ lengths / lengths.sum())
        votes = int(covered[:, first : last + 1].any(axis=1).sum())
        start, end = int(bounds[first]), int(bounds[last + 1])
        result.append(ConsensusSpan(start, end, label, confidence, votes))
    return result


def _runs(mask: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(first, last) indices of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))
