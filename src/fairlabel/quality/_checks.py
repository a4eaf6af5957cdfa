"""Input checks shared by the quality functions: a bad array is a ValueError naming the
argument, the offending value and what was expected, which the service layer turns into a 4xx."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def index_array(name: str, values: npt.ArrayLike, size: int | None = None) -> Int64s:
    """A 1-D array of integer codes in [0, size); size None only checks they are non-negative."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    if array.size and array.dtype.kind not in "iub":
        raise ValueError(f"{name} must hold integer codes, got dtype {array.dtype}")
    array = array.astype(np.int64, copy=False)
    if array.size:
        low, high = int(array.min()), int(array.max())
        if low < 0:
            raise ValueError(f"{name} holds {low}; codes must be >= 0")
        if size is not None and high >= size:
            raise ValueError(f"{name} holds {high}; codes must be < {size}")
    return array


def float_array(name: str, values: npt.ArrayLike) -> Floats:
    """A 1-D array of finite numbers."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {array.shape}")
    if array.size and array.dtype.kind not in "iubf":
        raise ValueError(f"{name} must hold numbers, got dtype {array.dtype}")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinity")
    return array


def same_length(**arrays: npt.NDArray[np.generic]) -> int:
    """The common length of the arrays; none may be empty."""
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"arrays must have the same length, got {lengths}")
    length = next(iter(lengths.values()))
    if length == 0:
        raise ValueError(f"{', '.join(lengths)} must not be empty")
    return length


def positive_count(name: str, value: int) -> int:
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value
