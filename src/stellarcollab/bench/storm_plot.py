"""The storm plot: time until every client agrees on who is here, and resident memory
per connection after settling, against the number of distinct users arriving at once;
ours beside the naive server and the bare arrival server (the floor)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PANELS = (("settled_s", "all settled (s)"), ("bytes_per_connection", "KiB per connection"))


def series(points: list[dict[str, Any]], side: str, key: str) -> tuple[list[int], list[float]]:
    xs: list[int] = []
    ys: list[float] = []
    for point in points:
        value = (point.get(side) or {}).get(key)
        if isinstance(value, int | float):
            xs.append(int(point["n"]))
            ys.append(float(value) / (1024 if key == "bytes_per_connection" else 1))
    return xs, ys


def plot_storms(points: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), dpi=90)
    styles = {"ours": ("tab:blue", "o", "ours"), "naive": ("tab:red", "s", "naive"),
              "floor": ("tab:gray", "^", "floor (bare server)")}
    for axis, (key, title) in zip(axes, PANELS, strict=True):
        for side, (color, marker, label) in styles.items():
            xs, ys = series(points, side, key)
            if xs:
                axis.plot(xs, ys, color=color, marker=marker, label=label)
        axis.set_xscale("log")
        axis.set_xlabel("distinct users arriving at once (N)")
        axis.set_title(title)
        axis.grid(True, alpha=0.3)
        axis.legend()
    axes[0].set_yscale("log")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
