"""Weighted random picks with the cumulative weights computed once (the generator's hot path)."""

from __future__ import annotations

from bisect import bisect
from collections.abc import Mapping
from itertools import accumulate
from random import Random
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """Options with relative weights, e.g. `Weighted({"visa": 55, "mastercard": 35})`."""

    def __init__(self, weights: Mapping[T, float]) -> None:
        self.options = tuple(weights)
        self._cumulative = tuple(accumulate(weights.values()))
        self._total = self._cumulative[-1]

    def pick(self, rng: Random) -> T:
        return self.options[bisect(self._cumulative, rng.random() * self._total)]
