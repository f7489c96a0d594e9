"""The sweep plot: delivered frames/s at saturation and fan-out p99 latency against N,
with the bare relay's p99 (the floor) beside the fan-out's."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _series(sweep: dict[str, Any], scenario: str, side: str, key: str
            ) -> tuple[list[int], list[float], list[bool]]:
    """x, y, and whether the load generator (not the server) was near its limit."""
    xs: list[int] = []
    ys: list[float] = []
    limited: list[bool] = []
    for point in sweep["points"]:
        if point["scenario"] != scenario or not point.get(side):
            continue
        value: Any = point[side]
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, int | float):
            xs.append(int(point["n"]))
            ys.append(float(value))
            limited.append(bool(point[side].get("loadgen_limited")))
    return xs, ys, limited


def plot_sweep(sweep: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), dpi=90)
    styles = {"ours": ("tab:blue", "o", "fast path"), "naive": ("tab:red", "s", "naive")}
    flagged = False
    for side, (color, marker, label) in styles.items():
        for axis, scenario, key in ((left, "saturate", "delivered_per_s"),
                                    (right, "fanout", "latency_ms.p99")):
            xs, ys, limited = _series(sweep, scenario, side, key)
            if not xs:
                continue
            axis.plot(xs, ys, marker=marker, color=color, label=label)
            lx = [x for x, lim in zip(xs, limited, strict=True) if lim]
            ly = [y for y, lim in zip(ys, limited, strict=True) if lim]
            if lx:
                flagged = True
                axis.scatter(lx, ly, s=160, facecolors="none", edgecolors="black",
                             linewidths=1.0, zorder=3)
    xs, ys, _limited = _series(sweep, "floor", "ours", "latency_ms.p99")
    if xs:
        right.plot(xs, ys, marker="^", color="tab:gray", linestyle="--",
                   label="bare relay (floor)")
    rate = next((p["ours"]["params"].get("rate") for p in sweep["points"]
                 if p["scenario"] == "fanout" and p.get("ours")), None)
    left.set_title("saturate: delivered frames/s", fontsize=10)
    left.set_xlabel("subscribers N")
    left.set_ylabel("frames/s")
    right.set_title(f"fanout {rate:g} msg/s: p99 latency" if rate else "fanout: p99 latency",
                    fontsize=10)
    right.set_xlabel("subscribers N")
    right.set_ylabel("ms")
    right.set_yscale("log")
    for axis in (left, right):
        axis.set_xscale("log")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
        ns = sorted({int(p["n"]) for p in sweep["points"]})
        axis.set_xticks(ns)
        axis.set_xticklabels([f"{n:,}" for n in ns], fontsize=8)
        axis.minorticks_off()
    if flagged:
        fig.text(0.5, 0.01, "circled: the load generator used >= 85% of its core "
                 "(the point may understate the server)", ha="center", fontsize=7)
        fig.tight_layout(rect=(0, 0.04, 1, 1))
    else:
        fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
