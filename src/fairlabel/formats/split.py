"""A seeded train/val(/test) split of an export's images.

An image's split depends only on the seed and its item's external id, never on which other
items exist: exporting again after an import keeps every earlier image in its split, so no
validation image moves into training. The shares are therefore those of a random draw (the
export says how many images each split got), not counts forced to the ratios."""

import hashlib
import math
from dataclasses import dataclass
from typing import NoReturn

from fairlabel.errors import ValidationFailed

SPLIT_NAMES = ("train", "val", "test")
REQUIRED = ("train", "val")
EXAMPLE = "train:0.8,val:0.2"
_EXPECTED = (
    "comma-separated name:ratio pairs for train and val, and optionally test, each ratio "
    f"> 0 and the ratios summing to 1 (e.g. {EXAMPLE} or train:0.7,val:0.2,test:0.1)"
)
_SUM_TOLERANCE = 1e-9
_SCALE = float(2**64)


@dataclass(frozen=True, slots=True)
class Split:
    ratios: tuple[tuple[str, float], ...]
    """(name, ratio) in SPLIT_NAMES order; the ratios sum to 1."""
    seed: int

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.ratios]

    def of(self, external_id: str) -> str:
        """The split of one image: a uniform draw from the seed and the id, cut by ratio."""
        digest = hashlib.blake2b(f"{self.seed}\x00{external_id}".encode(), digest_size=8)
        draw = int.from_bytes(digest.digest(), "big") / _SCALE
        bound = 0.0
        for name, ratio in self.ratios:
            bound += ratio
            if draw < bound:
                return name
        return self.ratios[-1][0]

    def describe(self) -> str:
        return ",".join(f"{name}:{ratio:g}" for name, ratio in self.ratios)


@dataclass(frozen=True, slots=True)
class SplitNeeds:
    """Which splits a format needs: YOLO and VOC train on train and validate on val; a
    training dataset needs train and one held-out part (val, test or both)."""

    required: tuple[str, ...]
    expected: str


IMAGE_SPLITS = SplitNeeds(REQUIRED, _EXPECTED)
DATASET_SPLITS = SplitNeeds(
    ("train",),
    "comma-separated name:ratio pairs for train and test, val or both, each ratio > 0 and "
    "the ratios summing to 1 (e.g. train:0.9,test:0.1 or train:0.8,val:0.1,test:0.1)",
)


def parse_split(text: str, seed: int, needs: SplitNeeds = IMAGE_SPLITS) -> Split:
    """Reads `train:0.8,val:0.2`; anything else is a 422 naming what is wrong. A split has
    two parts at least, or it would not split."""
    ratios: dict[str, float] = {}
    for part in text.split(","):
        name, colon, number = part.strip().partition(":")
        if not colon:
            _refuse(text, f"{part.strip()!r} is not a name:ratio pair", needs)
        if name not in SPLIT_NAMES:
            _refuse(text, f"unknown split {name!r}; the splits are {', '.join(SPLIT_NAMES)}", needs)
        if name in ratios:
            _refuse(text, f"split {name!r} is given twice", needs)
        ratios[name] = _ratio(text, name, number, needs)
    missing = [name for name in needs.required if name not in ratios]
    if missing:
        _refuse(text, f"the split needs {' and '.join(missing)} too", needs)
    if len(ratios) < 2:
        others = " or ".join(name for name in SPLIT_NAMES if name not in ratios)
        _refuse(text, f"the split needs {others} too", needs)
    total = sum(ratios.values())
    if abs(total - 1) > _SUM_TOLERANCE:
        _refuse(text, f"the ratios sum to {total:g}, not 1", needs)
    return Split(tuple((name, ratios[name]) for name in SPLIT_NAMES if name in ratios), seed)


def _ratio(text: str, name: str, number: str, needs: SplitNeeds) -> float:
    try:
        value = float(number)
    except ValueError:
        _refuse(text, f"the ratio of {name!r} is {number.strip()!r}, not a number", needs)
    if not math.isfinite(value) or not 0 < value <= 1:
        _refuse(text, f"the ratio of {name!r} is {number.strip()}, not in (0, 1]", needs)
    return value


def _refuse(text: str, problem: str, needs: SplitNeeds) -> NoReturn:
    raise ValidationFailed(
        f"bad split {text!r}: {problem}", field="split", value=text, expected=needs.expected
    )


def check_seed(seed: int) -> int:
    if not 0 <= seed < 2**63:
        raise ValidationFailed(
            f"seed {seed} is out of range",
            field="seed",
            value=seed,
            expected="an integer from 0 to 2**63 - 1",
        )
    return seed
