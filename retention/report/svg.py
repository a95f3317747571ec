"""Small, dependency-free SVG charts: heatmap, line chart, bar chart.

Every chart is an `<svg class="chart">` string with a title, labelled axes
and a legend, so the report stays one self-contained HTML file that works
offline. Values come in as plain Python numbers; formatting is the
caller's choice (`fmt`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

Formatter = Callable[[float], str]

# Colour-blind-safe qualitative palette (Okabe & Ito, 2008) plus extra hues.
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#000000",
    "#7f7f7f",
    "#8c564b",
    "#17becf",
    "#bcbd22",
)
FONT = "font-family='system-ui, sans-serif'"


def percent(value: float, digits: int = 0) -> str:
    return f"{value * 100:.{digits}f}%"


def money(value: float, symbol: str = "$") -> str:
    """An axis label: `symbol` and whole units, thousands as k."""
    if abs(value) >= 10_000:
        return f"{symbol}{value / 1000:,.0f}k"
    return f"{symbol}{value:,.0f}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _text(x: float, y: float, text: str, anchor: str = "middle", **attrs: str | float) -> str:
    extra = " ".join(f"{k.replace('_', '-')}='{v}'" for k, v in attrs.items())
    return (
        f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='{anchor}' {FONT} {extra}>{escape(text)}</text>"
    )


def _svg(width: int, height: int, kind: str, title: str, body: list[str]) -> str:
    return (
        f"<svg class='chart chart-{kind}' xmlns='http://www.w3.org/2000/svg' "
        f"viewBox='0 0 {width} {height}' width='{width}' height='{height}' role='img' "
        f"aria-label='{escape(title)}'>"
        + _text(width / 2, 20, title, font_size=15, font_weight="bold")
        + "".join(body)
        + "</svg>"
    )


def _legend(items: Sequence[tuple[str, str, bool]], x: float, y: float) -> list[str]:
    """Vertical legend: (label, colour, dashed)."""
    parts = ["<g class='legend'>"]
    for i, (label, colour, dashed) in enumerate(items):
        yy = y + i * 18
        dash = " stroke-dasharray='5 3'" if dashed else ""
        parts.append(
            f"<line x1='{x}' y1='{yy}' x2='{x + 22}' y2='{yy}' stroke='{colour}' "
            f"stroke-width='3'{dash}/>"
        )
        parts.append(_text(x + 28, yy + 4, label, anchor="start", font_size=12))
    parts.append("</g>")
    return parts


def sequential_colour(fraction: float) -> str:
    """White (0) to dark blue (1)."""
    f = min(max(fraction, 0.0), 1.0)
    low, high = (247, 251, 255), (8, 48, 107)
    r, g, b = (round(lo + (hi - lo) * f) for lo, hi in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(
    title: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: dict[tuple[int, int], float],
    *,
    x_title: str,
    y_title: str,
    scale_max: float,
    fmt: Formatter = percent,
    legend_title: str = "",
) -> str:
    """Grid of coloured cells; `values[(row, column)]`, missing cells stay empty."""
    cell_w = max(12, min(28, 820 // max(len(column_labels), 1)))
    cell_h = 14
    left, top = 90, 50
    width = left + cell_w * len(column_labels) + 140
    height = top + cell_h * len(row_labels) + 60
    body: list[str] = []
    for (row, column), value in values.items():
        x, y = left + column * cell_w, top + row * cell_h
        tip = f"{row_labels[row]}, {x_title} {column_labels[column]}: {fmt(value)}"
        body.append(
            f"<rect class='heatmap-cell' x='{x}' y='{y}' width='{cell_w - 1}' "
            f"height='{cell_h - 1}' fill='{sequential_colour(value / scale_max)}'>"
            f"<title>{escape(tip)}</title></rect>"
        )
    step = max(1, len(row_labels) // 18)
    for i, label in enumerate(row_labels):
        if i % step == 0:
            body.append(_text(left - 6, top + i * cell_h + 10, label, anchor="end", font_size=10))
    step = max(1, len(column_labels) // 20)
    bottom = top + cell_h * len(row_labels)
    for j, label in enumerate(column_labels):
        if j % step == 0:
            body.append(_text(left + j * cell_w + cell_w / 2, bottom + 14, label, font_size=10))
    body.append(_text(left + cell_w * len(column_labels) / 2, bottom + 36, x_title, font_size=12))
    body.append(
        _text(
            16,
            top + cell_h * len(row_labels) / 2,
            y_title,
            font_size=12,
            transform=f"rotate(-90 16 {top + cell_h * len(row_labels) / 2:.0f})",
        )
    )
    # colour legend: a vertical gradient with formatted ticks
    lx = left + cell_w * len(column_labels) + 30
    body.append(_text(lx, top - 8, legend_title, anchor="start", font_size=12))
    body.append("<g class='legend'>")
    steps = 20
    for k in range(steps):
        fraction = 1 - k / (steps - 1)
        body.append(
            f"<rect x='{lx}' y='{top + k * 8}' width='16' height='8' "
            f"fill='{sequential_colour(fraction)}'/>"
        )
    for k in range(0, 5):
        fraction = k / 4
        yy = top + (1 - fraction) * (steps - 1) * 8 + 6
        body.append(_text(lx + 22, yy, fmt(fraction * scale_max), anchor="start", font_size=10))
    body.append("</g>")
    return _svg(width, height, "heatmap", title, body)


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[float, float]]
    colour: str = "#0072b2"
    dashed: bool = False


@dataclass(frozen=True)
class Axis:
    title: str
    fmt: Formatter = field(default=lambda v: f"{v:g}")
    low: float | None = None
    high: float | None = None
    ticks: Sequence[float] | None = None


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    x_axis: Axis,
    y_axis: Axis,
    width: int = 640,
    height: int = 320,
    legend: bool = True,
    markers: bool = False,
) -> str:
    """Lines over a numeric x axis (dates go in as ordinals with a date formatter)."""
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points]
    if not xs:
        return _svg(width, height, "line", title, [_text(width / 2, height / 2, "no data")])
    legend_w = 170 if legend else 0
    left, right, top, bottom = 64, 20 + legend_w, 36, 52
    x_lo = x_axis.low if x_axis.low is not None else min(xs)
    x_hi = x_axis.high if x_axis.high is not None else max(xs)
    y_ticks = nice_ticks(
        y_axis.low if y_axis.low is not None else min(0.0, min(ys)),
        y_axis.high if y_axis.high is not None else max(ys),
    )
    y_lo, y_hi = y_ticks[0], y_ticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x_lo) / ((x_hi - x_lo) or 1) * plot_w

    def sy(y: float) -> float:
        return top + plot_h - (y - y_lo) / ((y_hi - y_lo) or 1) * plot_h

    body = [
        f"<rect x='{left}' y='{top}' width='{plot_w}' height='{plot_h}' fill='none' stroke='#ccc'/>"
    ]
    for tick in y_ticks:
        body.append(
            f"<line x1='{left}' x2='{left + plot_w}' y1='{sy(tick):.1f}' y2='{sy(tick):.1f}' "
            "stroke='#eee'/>"
        )
        body.append(_text(left - 6, sy(tick) + 4, y_axis.fmt(tick), anchor="end", font_size=10))
    for tick in x_axis.ticks if x_axis.ticks is not None else nice_ticks(x_lo, x_hi, 6):
        if x_lo <= tick <= x_hi:
            body.append(_text(sx(tick), top + plot_h + 16, x_axis.fmt(tick), font_size=10))
    body.append(_text(left + plot_w / 2, height - 12, x_axis.title, font_size=12))
    body.append(
        _text(
            14, top + plot_h / 2, y_axis.title, font_size=12,
            transform=f"rotate(-90 14 {top + plot_h / 2:.0f})",
        )
    )  # fmt: skip
    for s in series:
        if not s.points:
            continue
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(s.points)
        )
        dash = " stroke-dasharray='6 4'" if s.dashed else ""
        body.append(
            f"<path class='series' d='{path}' fill='none' stroke='{s.colour}' "
            f"stroke-width='2'{dash}><title>{escape(s.name)}</title></path>"
        )
        if markers:
            for x, y in s.points:
                tip = f"{s.name}: {x_axis.fmt(x)}, {y_axis.fmt(y)}"
                body.append(
                    f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='3' fill='{s.colour}'>"
                    f"<title>{escape(tip)}</title></circle>"
                )
    if legend:
        items = [(s.name, s.colour, s.dashed) for s in series]
        body += _legend(items, width - legend_w + 10, top + 8)
    return _svg(width, height, "line", title, body)


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], str]],
    *,
    value_axis: Axis,
    category_title: str,
    width: int = 640,
    height: int | None = None,
) -> str:
    """Horizontal grouped bars: one group per category, one bar per series."""
    bar_h = 12
    group_h = bar_h * len(series) + 8
    left, right, top = 150, 200, 40
    height = height or top + group_h * len(categories) + 50
    plot_w = width - left - right
    plot_h = group_h * len(categories)
    all_values = [v for _, values, _ in series for v in values] or [0.0]
    ticks = nice_ticks(0.0, value_axis.high or max(all_values) or 1.0)
    hi = ticks[-1]

    def sx(v: float) -> float:
        return left + v / (hi or 1) * plot_w

    body: list[str] = []
    for tick in ticks:
        body.append(
            f"<line x1='{sx(tick):.1f}' x2='{sx(tick):.1f}' y1='{top}' y2='{top + plot_h}' "
            "stroke='#eee'/>"
        )
        body.append(_text(sx(tick), top + plot_h + 14, value_axis.fmt(tick), font_size=10))
    for i, category in enumerate(categories):
        y0 = top + i * group_h + 4
        body.append(_text(left - 6, y0 + group_h / 2, category, anchor="end", font_size=11))
        for k, (name, values, colour) in enumerate(series):
            value = values[i]
            y = y0 + k * bar_h
            body.append(
                f"<rect class='bar' x='{left}' y='{y}' width='{max(sx(value) - left, 0):.1f}' "
                f"height='{bar_h - 2}' fill='{colour}'><title>"
                f"{escape(f'{category}, {name}: {value_axis.fmt(value)}')}</title></rect>"
            )
            body.append(
                _text(sx(value) + 4, y + bar_h - 3, value_axis.fmt(value), anchor="start",
                      font_size=9)
            )  # fmt: skip
    body.append(_text(left + plot_w / 2, top + plot_h + 36, value_axis.title, font_size=12))
    body.append(
        _text(14, top + plot_h / 2, category_title, font_size=12,
              transform=f"rotate(-90 14 {top + plot_h / 2:.0f})")
    )  # fmt: skip
    body += _legend([(name, colour, False) for name, _, colour in series], width - right + 30, top)
    return _svg(width, height, "bar", title, body)


def legend_strip(items: Sequence[tuple[str, str, bool]]) -> str:
    """A stand-alone legend shared by small multiples."""
    width = 40 + 200 * len(items)
    parts = [
        f"<svg class='legend-strip' xmlns='http://www.w3.org/2000/svg' width='{width}' "
        "height='24' viewBox='0 0 {width} 24'>".replace("{width}", str(width))
    ]
    for i, (label, colour, dashed) in enumerate(items):
        x = 10 + i * 200
        dash = " stroke-dasharray='5 3'" if dashed else ""
        parts.append(
            f"<line x1='{x}' y1='12' x2='{x + 24}' y2='12' stroke='{colour}' "
            f"stroke-width='3'{dash}/>"
        )
        parts.append(_text(x + 30, 16, label, anchor="start", font_size=12))
    parts.append("</svg>")
    return "".join(parts)
