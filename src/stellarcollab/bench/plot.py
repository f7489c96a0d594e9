"""The sweep plot: delivered frames/s at saturation and fan-out p99 latency against N."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _series(sweep: dict[str, Any], scenario: str, side: str, key: str
            ) -> tuple[list[int], list[float]]:
    xs: list[int] = []
    ys: list[float] = []
    for point in sweep["points"]:
        if point["scenario"] != scenario or not point.get(side):
            continue
        value: Any = point[side]
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, int | float):
            xs.append(int(point["n"]))
            ys.append(float(value))
    return xs, ys


def plot_sweep(sweep: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), dpi=90)
    styles = {"ours": ("tab:blue", "o", "fast path"), "naive": ("tab:red", "s", "naive")}
    for side, (color, marker, label) in styles.items():
        xs, ys = _series(sweep, "saturate", side, "delivered_per_s")
        if xs:
            left.plot(xs, ys, marker=marker, color=color, label=label)
        xs, ys = _series(sweep, "fanout", side, "latency_ms.p99")
        if xs:
            right.plot(xs, ys, marker=marker, color=color, label=label)
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
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
