"""A tiny run of every bench scenario, so ``stellarcollab bench`` never rots.

Each run starts its own server and load-generator subprocesses on 127.0.0.1, with a
handful of clients for about a second.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from stellarcollab.bench.command import main
from tests.support.redis import RedisServer

TINY = ["-n", "4", "--duration", "1", "--hold", "0.3", "--drain-timeout", "2",
        "--no-progress"]


def run_bench(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "result.json"
    assert main([*args, *TINY, "--json", str(out)]) == 0
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def check_traffic(result: dict[str, Any]) -> None:
    assert result["published"] > 0
    assert result["received"] > 0
    assert result["delivered_per_s"] > 0
    assert result["lost"] == 0
    assert result["duplicates"] == 0
    latency = result["latency_ms"]
    assert 0 <= latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    assert result["server_cpu_us_per_frame"] is not None
    assert result["server_cpu_us_per_frame"] >= 0
    assert result["machine"]["cpus"] >= 1


def test_fanout_compared_with_naive(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "fanout", "--rate", "20", "--compare-naive")
    check_traffic(result)
    assert result["expected"] == result["published"] * 4
    assert result["server_mode"] == "fast"
    naive = result["naive"]
    assert naive["server_mode"] == "naive"
    assert naive["lost"] == 0
    assert naive["received"] > 0
    assert result["ratios"]["delivered_per_s"] > 0
    assert "latency_ms.p99" in result["ratios"]


def test_fanout_tile_events(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "fanout", "--event", "tile", "--rate", "20",
                       "--publishers", "2")
    check_traffic(result)
    assert result["params"]["event"] == "tile"


@pytest.mark.parametrize("scenario", ["saturate", "rooms", "chat-persist"])
def test_traffic_scenarios(tmp_path: Path, scenario: str) -> None:
    result = run_bench(tmp_path, scenario)
    check_traffic(result)
    assert result["scenario"] == scenario
    if scenario == "chat-persist":
        assert result["stored_messages"] == result["published"]
        assert result["persisted_per_s"] > 0
    if scenario == "rooms":
        # status updates reach everyone in the room but the sender's connection
        assert result["expected"] == result["published"] * 3


def check_presence(result: dict[str, Any]) -> None:
    assert result["settled_s"] is not None and result["settled_s"] > 0
    assert result["presence_wrong_count"] == 0
    assert result["presence_wrong_list"] == 0
    assert result["server_presence_matches"] is True


@pytest.mark.parametrize("presence", ["diff", "guide"])
def test_storm(tmp_path: Path, presence: str) -> None:
    result = run_bench(tmp_path, "storm", "--presence", presence)
    assert result["connected"] == 4
    assert result["connects_per_s"] > 0
    assert result["server_reported_connections"] == 4 + result["warmup_connections"]
    assert result["bytes_per_connection"] is not None
    assert not result["connect_failures"]
    check_presence(result)
    # one account per connection, plus the warm-up accounts, all on the canvas
    assert result["presence_expected_users"] == 4 + 5
    assert result["presence_lists_checked"] == 4


def test_storm_on_the_redis_broker(tmp_path: Path, redis_server: RedisServer) -> None:
    redis_server.flush()
    result = run_bench(tmp_path, "storm", "--broker-url", redis_server.url)
    assert result["connected"] == 4
    check_presence(result)
    with Redis.from_url(redis_server.url) as redis:  # the canvas's events went through it
        assert int(redis.get("stellarcollab:canvas:1:seq") or 0) >= 4  # the arrivals
        assert redis.exists("stellarcollab:limit:connect:user:1")  # and the connect limits


def test_the_broker_must_be_on_loopback() -> None:
    assert main(["storm", "--broker-url", "redis://192.0.2.1:6379/0", *TINY]) == 1


def test_storm_over_several_canvases(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "storm", "--canvases", "2")
    assert result["connected"] == 4
    check_presence(result)


def test_storm_with_churn_during_the_hold(tmp_path: Path) -> None:
    """Users leave and come back one at a time after the storm; everyone's view is right
    at the end, and the returns are not counted as the storm's connects."""
    out = tmp_path / "result.json"
    assert main(["storm", *TINY, "--hold", "1", "--churn", "30", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["params"]["churn"] == 30
    assert result["churn_changes"] > 0
    assert result["presence_frames_per_client_s"] > 0
    assert result["server_cpu_util_churn"] is not None
    assert result["connected"] == 4 and not result["connect_failures"]
    assert result["close_codes"] == {}
    check_presence(result)


def test_storm_floor(tmp_path: Path) -> None:
    """The storm against the bare arrival server: the same load generator and checks."""
    result = run_bench(tmp_path, "storm-floor", "--canvases", "2")
    assert result["server_mode"] == "floor"
    assert result["connected"] == 4 and not result["connect_failures"]
    assert result["connects_per_s"] > 0 and result["settled_s"] is not None
    assert result["presence_wrong_count"] == 0 and result["presence_wrong_list"] == 0
    assert result["server_presence_matches"] is None  # it has no REST API to ask
    assert result["server_cpu_us_per_connect"] is not None
    assert result["loadgen_cpu_us_per_connect"] > 0


def test_the_load_generator_does_not_collect_during_the_window(tmp_path: Path) -> None:
    """300 arrivals leave enough objects in the generator for dozens of collections
    (37 with them allowed); the window has none, so none of its pauses is measured."""
    out = tmp_path / "result.json"
    assert main(["storm-floor", *TINY, "-n", "300", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["connected"] == 300 and result["settled_s"] is not None
    assert result["loadgen_collections"] == 0


def test_storm_floor_runs_on_its_own_server() -> None:
    assert main(["storm-floor", "--url", "http://127.0.0.1:9", *TINY]) == 1
    assert main(["storm-floor", "--compare-naive", *TINY]) == 1


def test_storms_compare_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "storms.png"
    result = run_bench(tmp_path, "storms", "--ns", "2,3", "--compare-naive", "--naive-up-to",
                       "2", "--compare-floor", "--plot", str(plot))
    assert [p["n"] for p in result["points"]] == [2, 3]
    assert result["points"][0]["naive"]["settled_s"] is not None
    assert result["points"][1]["naive"] is None
    assert all(p["floor"]["server_mode"] == "floor" and p["floor"]["settled_s"] is not None
               for p in result["points"])
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_storm_of_a_large_canvas_settles_on_counts(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    args = ["storm", "-n", "12", *TINY, "--json", str(out)]
    from stellarcollab.bench import scenarios

    original = scenarios.BenchServer.__init__

    def small_limit(self: Any, **kw: Any) -> None:
        kw["extra_env"] = {**(kw.get("extra_env") or {}), "STELLAR_PRESENCE_DETAIL_LIMIT": "5"}
        original(self, **kw)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scenarios.BenchServer, "__init__", small_limit)
        assert main(args) == 0
    result = json.loads(out.read_text())
    check_presence(result)
    assert result["presence_lists_checked"] == 0  # counts only above the limit


def test_reconnect_brings_everyone_back_with_what_they_missed(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "reconnect", "--reconnect-delay", "0.2", "--messages", "5")
    assert result["dropped"] == 4 and result["back"] == 4
    assert result["all_back_s"] > 0 and result["connects_per_s"] > 0
    assert result["duplicates"] == 0 and result["gaps"] == 0
    assert result["server_cpu_s"] >= 0
    check_presence(result)


def test_floor(tmp_path: Path) -> None:
    result = run_bench(tmp_path, "floor", "--rate", "20")
    assert result["scenario"] == "floor" and result["clients"] == 4
    assert result["expected"] == result["published"] * 4
    assert result["received"] == result["expected"] and result["lost"] == 0
    latency = result["latency_ms"]
    assert 0 <= latency["p50"] <= latency["p99"] <= latency["max"]
    assert result["server_cpu_us_per_frame"] > 0


def test_floor_refuses_a_naive_comparison() -> None:
    assert main(["floor", "--compare-naive", *TINY]) == 1


def test_sweep_runs_fanout_saturate_and_floor_and_plots(tmp_path: Path) -> None:
    plot = tmp_path / "sweep.png"
    result = run_bench(tmp_path, "sweep", "--ns", "3", "--rate", "20", "--plot", str(plot))
    assert [p["scenario"] for p in result["points"]] == ["fanout", "saturate", "floor"]
    assert all(p["n"] == 3 and p["ours"]["received"] > 0 for p in result["points"])
    assert plot.read_bytes().startswith(b"\x89PNG")
