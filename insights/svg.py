"""Charts as inline SVG text: no script, font or image is fetched when the report is opened."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

FONT = "font-family='system-ui, sans-serif' font-size='12'"
INK, MUTED, ACCENT, HIGHLIGHT = "#222", "#888", "#1f6fb2", "#c0392b"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step) + 1)]


def forest_plot(
    labels: Sequence[str],
    estimates: Sequence[float],
    lowers: Sequence[float],
    uppers: Sequence[float],
    *,
    reference: float | None = None,
    reference_label: str = "",
    x_label: str = "",
    highlight: Sequence[bool] | None = None,
    title: str = "",
) -> str:
    """One row per label: the estimate as a dot, its interval as a line, a dashed reference."""
    longest = max((len(label) for label in labels), default=10)
    row_height, top, width = 24, 28, 760
    label_width = min(max(120, int(longest * 6.6) + 12), 420)
    plot_left, plot_right = label_width + 10, width - 20
    height = top + row_height * len(labels) + 44
    values = [v for v in (*lowers, *uppers, *estimates) if v is not None and math.isfinite(v)]
    if reference is not None:
        values.append(reference)
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (high - low) * 0.06 or 1.0
    low, high = low - pad, high + pad

    def x(value: float) -> float:
        return plot_left + (value - low) / (high - low) * (plot_right - plot_left)

    parts = [
        f"<svg viewBox='0 0 {width} {height}' "
        f"width='100%' role='img' aria-label='{escape(title, quote=True)}'>",
        f"<title>{escape(title)}</title>",
    ]
    axis_y = top + row_height * len(labels) + 4
    for tick in nice_ticks(low, high):
        parts.append(
            f"<line x1='{x(tick):.1f}' x2='{x(tick):.1f}' y1='{top - 6}' y2='{axis_y}' "
            "stroke='#eee'/>"
            f"<text x='{x(tick):.1f}' y='{axis_y + 14}' text-anchor='middle' {FONT} "
            f"fill='{MUTED}'>{tick:g}</text>"
        )
    if reference is not None:
        parts.append(
            f"<line x1='{x(reference):.1f}' x2='{x(reference):.1f}' y1='{top - 10}' "
            f"y2='{axis_y}' stroke='{MUTED}' stroke-dasharray='4 3'/>"
            f"<text x='{x(reference):.1f}' y='{top - 14}' text-anchor='middle' {FONT} "
            f"fill='{MUTED}'>{escape(reference_label)}</text>"
        )
    for index, label in enumerate(labels):
        y = top + row_height * index + row_height / 2
        colour = HIGHLIGHT if highlight is not None and highlight[index] else ACCENT
        parts.append(
            f"<text x='{label_width}' y='{y + 4:.1f}' text-anchor='end' {FONT} "
            f"fill='{INK}'>{escape(label)}</text>"
        )
        lower, upper, estimate = lowers[index], uppers[index], estimates[index]
        if lower is not None and upper is not None and math.isfinite(lower + upper):
            parts.append(
                f"<line class='interval' x1='{x(lower):.1f}' x2='{x(upper):.1f}' "
                f"y1='{y:.1f}' y2='{y:.1f}' stroke='{colour}' stroke-width='2'/>"
            )
        parts.append(
            f"<circle class='estimate' cx='{x(estimate):.1f}' cy='{y:.1f}' r='4' "
            f"fill='{colour}'><title>{escape(label)}: {estimate:.3g}</title></circle>"
        )
    parts.append(
        f"<text x='{(plot_left + plot_right) / 2:.1f}' y='{axis_y + 32}' text-anchor='middle' "
        f"{FONT} fill='{INK}'>{escape(x_label)}</text></svg>"
    )
    return "".join(parts)


def histogram(
    values: Sequence[float], *, bins: int = 30, x_label: str = "", title: str = ""
) -> str:
    """Counts of values in equal-width bins, as bars."""
    width, height, left, bottom, top = 760, 260, 50, 40, 16
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    step = (high - low) / bins or 1.0
    counts = [0] * bins
    for value in finite:
        counts[min(int((value - low) / step), bins - 1)] += 1
    peak = max(counts)
    plot_width, plot_height = width - left - 20, height - top - bottom
    bar = plot_width / bins
    parts = [
        f"<svg viewBox='0 0 {width} {height}' "
        f"width='100%' role='img' aria-label='{escape(title, quote=True)}'>",
        f"<title>{escape(title)}</title>",
    ]
    for index, count in enumerate(counts):
        # a bin with any value stays visible beside a tall one (the anomalies are a thin tail)
        bar_height = max(plot_height * count / peak, 2.0 if count else 0.0)
        parts.append(
            f"<rect x='{left + index * bar:.1f}' y='{top + plot_height - bar_height:.1f}' "
            f"width='{bar - 1:.1f}' height='{bar_height:.1f}' fill='{ACCENT}'>"
            f"<title>{low + index * step:.1f} to {low + (index + 1) * step:.1f}: {count}</title>"
            "</rect>"
        )
    for tick in nice_ticks(low, high):
        tick_x = left + (tick - low) / (high - low or 1.0) * plot_width
        parts.append(
            f"<text x='{tick_x:.1f}' y='{top + plot_height + 14}' text-anchor='middle' {FONT} "
            f"fill='{MUTED}'>{tick:g}</text>"
        )
    parts.append(
        f"<text x='{left + plot_width / 2:.1f}' y='{height - 6}' text-anchor='middle' {FONT} "
        f"fill='{INK}'>{escape(x_label)}</text>"
        f"<text x='{left - 8}' y='{top + 10}' text-anchor='end' {FONT} fill='{MUTED}'>{peak}</text>"
        "</svg>"
    )
    return "".join(parts)


def line_chart(
    x_labels: Sequence[str],
    values: Sequence[float],
    *,
    point_titles: Sequence[str] | None = None,
    x_label: str = "",
    title: str = "",
) -> str:
    """A small chart of one series in order (points joined by a line), e.g. a KPI across loads;
    each point's title (shown on hover) says what it is, with its value."""
    width, height, left, right, top, bottom = 360, 190, 56, 14, 26, 40
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    pad = (high - low) * 0.1 or abs(high) * 0.01 or 1.0
    low, high = low - pad, high + pad
    ticks = [tick for tick in nice_ticks(low, high, count=4) if low <= tick <= high]
    plot_width, plot_height = width - left - right, height - top - bottom
    inset = 12  # the first and last points clear of the plot's edges
    step = (plot_width - 2 * inset) / max(len(values) - 1, 1)

    def x(index: int) -> float:
        return left + (inset + index * step if len(values) > 1 else plot_width / 2)

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * plot_height

    parts = [
        f"<svg class='trend' viewBox='0 0 {width} {height}' "
        f"width='100%' role='img' aria-label='{escape(title, quote=True)}'>",
        f"<title>{escape(title)}</title>",
        f"<text x='{left}' y='{top - 10}' {FONT} font-weight='600' fill='{INK}'>"
        f"{escape(title)}</text>",
    ]
    for tick in ticks:
        parts.append(
            f"<line x1='{left}' x2='{left + plot_width}' y1='{y(tick):.1f}' y2='{y(tick):.1f}' "
            "stroke='#eee'/>"
            f"<text x='{left - 6}' y='{y(tick) + 4:.1f}' text-anchor='end' {FONT} "
            f"fill='{MUTED}'>{tick:g}</text>"
        )
    # at most about ten labels along the axis
    every = max(1, math.ceil(len(x_labels) / 10))
    for index, label in enumerate(x_labels):
        if index % every == 0 or index == len(x_labels) - 1:
            parts.append(
                f"<text x='{x(index):.1f}' y='{top + plot_height + 16}' text-anchor='middle' "
                f"{FONT} fill='{MUTED}'>{escape(label)}</text>"
            )
    points = [
        (x(index), y(value))
        for index, value in enumerate(values)
        if value is not None and math.isfinite(value)
    ]
    parts.append(
        "<polyline fill='none' stroke-width='2' "
        f"stroke='{ACCENT}' points='{' '.join(f'{px:.1f},{py:.1f}' for px, py in points)}'/>"
    )
    for index, value in enumerate(values):
        if value is None or not math.isfinite(value):
            continue
        what = point_titles[index] if point_titles is not None else f"{x_labels[index]}: {value:g}"
        parts.append(
            f"<circle class='point' cx='{x(index):.1f}' cy='{y(value):.1f}' r='3.5' "
            f"fill='{ACCENT}'><title>{escape(what)}</title></circle>"
        )
    parts.append(
        f"<text x='{left + plot_width / 2:.1f}' y='{height - 6}' text-anchor='middle' {FONT} "
        f"fill='{INK}'>{escape(x_label)}</text></svg>"
    )
    return "".join(parts)
