"""Percentiles and the latency histogram of the bench."""

from __future__ import annotations

import math
import random

import pytest

from stellarcollab.bench.stats import (
    EXACT_LIMIT,
    Histogram,
    bucket_bounds,
    bucket_of,
    latency_summary_ms,
    percentile,
)


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 4.0
    assert percentile(values, 50) == 2.5
    assert percentile(values, 25) == pytest.approx(1.75)


def test_percentile_does_not_need_sorted_input() -> None:
    assert percentile([5.0, 1.0, 3.0], 50) == 3.0
    assert percentile([7.0], 99) == 7.0


def test_percentile_rejects_empty_input_and_bad_q() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_buckets_are_contiguous_and_cover_their_values() -> None:
    previous = -1
    for value in [*range(0, 5000), 10**6, 10**9, 2**40 + 12345]:
        bucket = bucket_of(value)
        low, high = bucket_bounds(bucket)
        assert low <= value < high
        assert bucket >= previous
        previous = bucket
    assert bucket_of(EXACT_LIMIT) == bucket_of(EXACT_LIMIT - 1) + 1


def test_histogram_is_exact_below_the_exact_limit() -> None:
    histogram = Histogram()
    histogram.record_many(range(1, 101))
    assert histogram.percentile(50) == 50
    assert histogram.percentile(99) == 99
    assert histogram.percentile(100) == 100
    assert histogram.maximum == 100
    assert histogram.minimum == 1
    assert histogram.mean() == pytest.approx(50.5)


def test_histogram_percentiles_are_within_a_tenth_of_a_percent() -> None:
    rng = random.Random(7)
    values = [int(rng.lognormvariate(9, 1.5)) for _ in range(20_000)]
    histogram = Histogram()
    histogram.record_many(values)
    ordered = sorted(values)
    for q in (50, 90, 99, 99.9):
        exact = ordered[max(0, math.ceil(len(ordered) * q / 100) - 1)]
        assert histogram.percentile(q) == pytest.approx(exact, rel=1e-3, abs=1)


def test_histograms_merge_and_round_trip_through_json() -> None:
    a, b = Histogram(), Histogram()
    a.record_many([1, 2, 3])
    b.record_many([10_000, 20_000])
    a.merge(Histogram.from_json(b.to_json()))
    assert a.total == 5
    assert a.maximum == 20_000
    assert a.minimum == 1
    assert a.percentile(100) == 20_000
    summary = latency_summary_ms(a)
    assert summary is not None
    assert summary["max"] == 20.0
    assert summary["count"] == 5


def test_empty_histogram_has_no_summary() -> None:
    assert latency_summary_ms(Histogram()) is None
    with pytest.raises(ValueError):
        Histogram().percentile(50)

