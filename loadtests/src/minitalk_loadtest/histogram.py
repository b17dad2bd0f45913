"""Latency histograms with ~1 % relative precision that merge by adding counts.

A value ``v`` (microseconds) falls in bucket ``floor(ln(v) * SCALE)``; a bucket stands for the
geometric middle of its range. Shards and worker processes each keep their own histograms and
the merge step adds them, so percentiles over the whole run are exact up to the bucket width.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

SCALE = 100.0


class Histogram:
    __slots__ = ("buckets", "count", "max_us", "total_us")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.total_us = 0.0
        self.max_us = 0.0

    def add(self, value_us: float) -> None:
        index = int(math.log(value_us) * SCALE) if value_us >= 1.0 else 0
        self.buckets[index] = self.buckets.get(index, 0) + 1
        self.count += 1
        self.total_us += value_us
        if value_us > self.max_us:
            self.max_us = value_us

    def merge(self, other: Histogram) -> Histogram:
        for index, n in other.buckets.items():
            self.buckets[index] = self.buckets.get(index, 0) + n
        self.count += other.count
        self.total_us += other.total_us
        self.max_us = max(self.max_us, other.max_us)
        return self

    def percentile(self, q: float) -> float:
        """The value (microseconds) below which ``q`` percent of the samples fall; 0 if empty."""
        if not self.count:
            return 0.0
        rank = max(1, math.ceil(self.count * q / 100.0))
        seen = 0
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                return min(math.exp((index + 0.5) / SCALE), self.max_us)
        return self.max_us

    def summary_ms(self) -> dict[str, float]:
        """count, mean, p50, p95, p99 and max in milliseconds."""
        return {
            "count": self.count,
            "mean": round(self.total_us / self.count / 1000, 3) if self.count else 0.0,
            "p50": round(self.percentile(50) / 1000, 3),
            "p95": round(self.percentile(95) / 1000, 3),
            "p99": round(self.percentile(99) / 1000, 3),
            "max": round(self.max_us / 1000, 3),
        }

    def to_json(self) -> dict[str, object]:
        return {
            "buckets": {str(k): v for k, v in sorted(self.buckets.items())},
            "count": self.count,
            "total_us": self.total_us,
            "max_us": self.max_us,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Histogram:
        hist = cls()
        buckets = data.get("buckets", {})
        assert isinstance(buckets, Mapping)
        hist.buckets = {int(k): int(v) for k, v in buckets.items()}
        hist.count = int(data.get("count", 0))  # type: ignore[call-overload]
        hist.total_us = float(data.get("total_us", 0.0))  # type: ignore[arg-type]
        hist.max_us = float(data.get("max_us", 0.0))  # type: ignore[arg-type]
        return hist

    @classmethod
    def merged(cls, hists: Iterable[Histogram]) -> Histogram:
        total = cls()
        for hist in hists:
            total.merge(hist)
        return total
