"""A PNG bar chart of meetings held against the target per body, readable on a phone.

Input is a plain list of ChartRow (name, held, target, expected), so the yearly report can draw
the same chart. matplotlib is imported inside render_chart: start-up stays fast, and only the
Agg canvas is used (no pyplot, no display, no global figure state).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import NamedTuple

from bot.domain.shorten import shorten

NAME_WIDTH = 26  # characters of a body's name shown beside its bar
HELD_OK = "#2e7d32"
HELD_BEHIND = "#e65100"
TARGET = "#cfd8dc"
EXPECTED = "#263238"


class ChartRow(NamedTuple):
    """One bar: meetings held so far, the year's target, the pro-rata expectation by now."""

    name: str
    held: int
    target: int
    expected: int


def _label(name: str) -> str:
    return shorten(name, NAME_WIDTH)


def render_chart(rows: Sequence[ChartRow], title: str) -> bytes:
    """Horizontal bars (target in grey, held in colour, a tick at the expectation) as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    count = max(len(rows), 1)
    fig = Figure(figsize=(9.0, 2.2 + 0.75 * count), dpi=130)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    positions = list(range(len(rows)))[::-1]  # first row on top
    top = max([1, *(max(r.target, r.held, r.expected) for r in rows)])
    for y, row in zip(positions, rows, strict=True):
        ax.barh(y, row.target, height=0.7, color=TARGET, zorder=1)
        colour = HELD_BEHIND if row.held < row.expected else HELD_OK
        ax.barh(y, row.held, height=0.42, color=colour, zorder=2)
        ax.plot([row.expected, row.expected], [y - 0.42, y + 0.42], color=EXPECTED, lw=3, zorder=3)
        ax.text(
            min(max(row.held, row.target), top) + top * 0.02,
            y,
            f"{row.held}/{row.target}" + (" ⚠" if row.held < row.expected else ""),
            va="center",
            fontsize=15,
            fontweight="bold",
            color=colour,
        )
    ax.set_yticks(positions)
    ax.set_yticklabels([_label(r.name) for r in rows], fontsize=15)
    for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
        if row.held < row.expected:
            tick.set_color(HELD_BEHIND)
    ax.set_xlim(0, top * 1.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="x", labelsize=13)
    ax.set_xlabel("vergaderingen", fontsize=14)
    ax.set_title(title, fontsize=18, fontweight="bold", loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not rows:
        ax.text(
            0.5,
            0.5,
            "geen organen met een vergaderritme",
            ha="center",
            va="center",
            fontsize=15,
            transform=ax.transAxes,
        )
        ax.set_yticks([])
    legend = [
        Patch(color=HELD_OK, label="gehouden"),
        Patch(color=HELD_BEHIND, label="gehouden (achter)"),
        Patch(color=TARGET, label="doel per jaar"),
        Line2D([0], [0], color=EXPECTED, lw=3, label="verwacht tegen nu"),
    ]
    fig.legend(handles=legend, loc="lower center", ncols=2, fontsize=13, frameon=False)
    fig.subplots_adjust(bottom=1.35 / (2.2 + 0.75 * count))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.25)
    return buffer.getvalue()
