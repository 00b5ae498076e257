"""The digest's three charts as small inline SVG, drawn by hand, and as words.

Hand-made rather than pygal (docs/digest.md, "Charts"): three charts of a dozen shapes
each take some 150 lines here, and what pygal would bring costs more than it gives in a
mail. Its output is built for a web page: a random id per chart (a new id on every
render, so the same vault and day would no longer give the same bytes without turning it
off), a `<script>` tag that fetches its tooltip code from kozea.github.io unless
disabled, a stylesheet per chart and an 800x600 canvas whose 14 px labels shrink to
unreadable on a phone. Here every shape is plain SVG with its colour as an attribute (a
mail client without CSS still draws it) and a class the page's stylesheet recolours for
dark mode; text is `currentColor`, so it follows the page; sizes are chosen for a phone's
width. Nothing is fetched and nothing runs.

Every chart is drawn from plain data the digest also gives in words (`sparkline`, the
templates' lists), so a reader whose mail client drops SVG (Gmail does) loses nothing.
All text that reaches the SVG is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

#: Each reminder kind's colour (light mode; the page's CSS recolours `.k-<kind>` in dark).
KIND_COLOURS = {
    "followup": "#c2410c",
    "birthday": "#be185d",
    "date": "#6d28d9",
    "reconnect": "#0f766e",
}
ON_TRACK, OVERDUE, BAR, GRID = "#2f855a", "#c53030", "#8a6a43", "#d9d2c7"
SPARKS = "▁▂▃▄▅▆▇█"
#: Dots a day of the strip shows before "+N".
STRIP_DOTS = 4


def _svg(width: int, height: int, label: str, body: list[str], cls: str) -> str:
    """An SVG element that scales to its container's width, with `label` for screen
    readers (`role="img"`) and as a tooltip."""
    text = escape(label)
    return (
        f'<svg class="chart {cls}" viewBox="0 0 {width} {height}" width="100%" role="img"'
        f' aria-label="{text}" xmlns="http://www.w3.org/2000/svg"><title>{text}</title>'
        + "".join(body)
        + "</svg>"
    )


def _text(
    x: float, y: float, text: str, size: int = 11, anchor: str = "middle", cls: str = ""
) -> str:
    extra = f' class="{cls}"' if cls else ""
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}"'
        f' fill="currentColor"{extra}>{escape(text)}</text>'
    )


def month_bars(months: Sequence[tuple[str, int]], label: str) -> str:
    """Interactions per month: one bar per (short month name, count), oldest first; the
    last one (the month in progress) lighter."""
    width, height, base, tallest = 320, 122, 98, 72
    slot = width / max(1, len(months))
    top = max((count for _, count in months), default=0) or 1
    body = [f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="{GRID}" class="grid"/>']
    for i, (name, count) in enumerate(months):
        x = round(i * slot + slot / 2, 1)
        bar = round(tallest * count / top, 1)
        now = i == len(months) - 1
        if count:
            lighter = ' fill-opacity="0.55"' if now else ""
            body.append(
                f'<rect x="{x - 8:g}" y="{base - bar:g}" width="16" height="{bar:g}" rx="2"'
                f' fill="{BAR}" class="bar{" now" if now else ""}"{lighter}/>'
            )
            body.append(_text(x, base - bar - 4, str(count), 11, cls="num"))
        body.append(_text(x, base + 16, name, 11, cls="axis"))
    return _svg(width, height, label, body, "months")


def circle_bars(rows: Sequence[tuple[str, int, int]], label: str) -> str:
    """On track vs overdue per circle: one row per (circle, on track, overdue), bars to
    scale with each other so a big circle looks big."""
    row, width = 26, 320
    left, room = 86, 130
    top = max((ok + late for _, ok, late in rows), default=0) or 1
    body: list[str] = []
    for i, (name, ok, late) in enumerate(rows):
        y = i * row + 3
        shown = name if len(name) <= 11 else name[:10] + "…"
        body.append(_text(0, y + 14, shown, 13, anchor="start", cls="axis"))
        x = float(left)
        for count, colour, cls in ((ok, ON_TRACK, "ok"), (late, OVERDUE, "late")):
            if count:
                w = max(3.0, round(room * count / top, 1))
                body.append(
                    f'<rect x="{x:g}" y="{y + 3}" width="{w:g}" height="15" rx="2"'
                    f' fill="{colour}" class="{cls}"/>'
                )
                x += w
        words = f"{late} of {ok + late} late" if late else f"{ok} on track"
        body.append(_text(x + 6, y + 15, words, 12, anchor="start", cls="num"))
    return _svg(width, row * len(rows) + 4, label, body, "circles")


def day_strip(days: Sequence[tuple[str, str, bool, Sequence[str]]], label: str) -> str:
    """The next days at a glance: per (weekday initial, day of month, is today, kinds of
    that day's reminders), a column of coloured dots; today's column marked."""
    slot = 23
    width = slot * max(1, len(days))
    most = max((len(kinds) for *_, kinds in days), default=0)
    rows = max(1, min(most, STRIP_DOTS))
    height = 44 + rows * 13 + (13 if most > STRIP_DOTS else 0)
    body: list[str] = []
    for i, (weekday, day, today, kinds) in enumerate(days):
        x = i * slot + slot / 2
        if today:
            body.append(
                f'<rect x="{i * slot + 1:g}" y="0" width="{slot - 2}" height="{height}"'
                f' rx="6" fill="{BAR}" fill-opacity="0.16" class="today"/>'
            )
        body.append(_text(x, 14, weekday, 11, cls="axis"))
        body.append(_text(x, 31, day, 13, cls="num" + (" strong" if today else "")))
        for n, kind in enumerate(kinds[:STRIP_DOTS]):
            body.append(
                f'<circle cx="{x:g}" cy="{45 + n * 13}" r="5"'
                f' fill="{KIND_COLOURS[kind]}" class="k-{kind}"/>'
            )
        if len(kinds) > STRIP_DOTS:
            body.append(_text(x, 45 + STRIP_DOTS * 13 + 2, f"+{len(kinds) - STRIP_DOTS}", 10))
    return _svg(width, height, label, body, "strip")


def sparkline(counts: Sequence[int]) -> str:
    """`▁▃█▂`: counts as block characters, for the text and Markdown digests; an empty
    month is the lowest block, any other at least the second."""
    top = max(counts, default=0)
    if not top:
        return SPARKS[0] * len(counts)
    return "".join(
        SPARKS[0] if not c else SPARKS[1 + round((len(SPARKS) - 2) * c / top)] for c in counts
    )
