"""Percentiles: exact ones over a list of samples, and a compact, mergeable latency
histogram for runs with millions of samples.

The histogram keeps whole microseconds below 2,048 µs exactly and, above that, 1,024
buckets per power of two (relative error under 0.1 %). Its counts travel as a sparse
``{bucket: count}`` mapping, so the load-generator processes can be merged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SUB_BITS = 10
SUB_COUNT = 1 << SUB_BITS  # buckets per power of two above the exact range
EXACT_LIMIT = SUB_COUNT << 1  # values below this are kept exactly (2048)
MAX_SHIFT = 40
BUCKETS = (MAX_SHIFT + 2) << SUB_BITS


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 to 100) of ``values`` by linear interpolation between the
    closest ranks (NumPy's default). ``values`` need not be sorted; it must not be empty."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = position - lower
    return float(ordered[lower] + (ordered[upper] - ordered[lower]) * fraction)


def bucket_of(value: int) -> int:
    """The histogram bucket of a non-negative integer value."""
    if value < EXACT_LIMIT:
        return max(value, 0)
    shift = value.bit_length() - (SUB_BITS + 1)
    if shift > MAX_SHIFT:
        return BUCKETS - 1
    return (shift << SUB_BITS) + (value >> shift)


def bucket_bounds(bucket: int) -> tuple[int, int]:
    """The values ``[low, high)`` a bucket stands for."""
    if bucket < EXACT_LIMIT:
        return bucket, bucket + 1
    shift = (bucket >> SUB_BITS) - 1
    mantissa = bucket - (shift << SUB_BITS)
    low = mantissa << shift
    return low, low + (1 << shift)


class Histogram:
    """Counts of non-negative integer samples (the bench records microseconds)."""

    __slots__ = ("counts", "maximum", "minimum", "total", "total_sum")

    def __init__(self) -> None:
        self.counts: dict[int, int] = {}
        self.total = 0
        self.total_sum = 0
        self.maximum = 0
        self.minimum = -1

    def record(self, value: int) -> None:
        if value < 0:
            value = 0
        if value < EXACT_LIMIT:
            bucket = value
        else:
            shift = value.bit_length() - (SUB_BITS + 1)
            bucket = BUCKETS - 1 if shift > MAX_SHIFT else (shift << SUB_BITS) + (value >> shift)
        counts = self.counts
        counts[bucket] = counts.get(bucket, 0) + 1
        self.total += 1
        self.total_sum += value
        if value > self.maximum:
            self.maximum = value
        if self.minimum < 0 or value < self.minimum:
            self.minimum = value

    def record_many(self, values: Iterable[int]) -> None:
        for value in values:
            self.record(value)

    def merge(self, other: Histogram) -> None:
        for bucket, count in other.counts.items():
            self.counts[bucket] = self.counts.get(bucket, 0) + count
        self.total += other.total
        self.total_sum += other.total_sum
        self.maximum = max(self.maximum, other.maximum)
        if other.minimum >= 0 and (self.minimum < 0 or other.minimum < self.minimum):
            self.minimum = other.minimum

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile; a bucket above the exact range answers its midpoint,
        clamped to the observed maximum."""
        if self.total == 0:
            raise ValueError("percentile of an empty histogram")
        rank = max(1, math.ceil(self.total * q / 100.0))
        seen = 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= rank:
                low, high = bucket_bounds(bucket)
                if high - low == 1:
                    return float(low)
                return float(min((low + high) / 2.0, self.maximum))
        return float(self.maximum)

    def mean(self) -> float:
        return self.total_sum / self.total if self.total else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"counts": {str(k): v for k, v in self.counts.items()}, "total": self.total,
                "sum": self.total_sum, "max": self.maximum, "min": self.minimum}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Histogram:
        histogram = cls()
        histogram.counts = {int(k): int(v) for k, v in data.get("counts", {}).items()}
        histogram.total = int(data.get("total", 0))
        histogram.total_sum = int(data.get("sum", 0))
        histogram.maximum = int(data.get("max", 0))
        histogram.minimum = int(data.get("min", -1))
        return histogram


def latency_summary_ms(histogram: Histogram) -> dict[str, float | int] | None:
    """p50/p90/p99/p99.9/max/mean in milliseconds from a histogram of microseconds."""
    if histogram.total == 0:
        return None
    return {
        "p50": round(histogram.percentile(50) / 1000.0, 3),
        "p90": round(histogram.percentile(90) / 1000.0, 3),
        "p99": round(histogram.percentile(99) / 1000.0, 3),
        "p999": round(histogram.percentile(99.9) / 1000.0, 3),
        "max": round(histogram.maximum / 1000.0, 3),
        "mean": round(histogram.mean() / 1000.0, 3),
        "count": histogram.total,
    }
