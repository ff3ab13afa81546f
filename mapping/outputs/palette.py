"""One colour scale for every view, so a cell is the same colour on screen, in the PDF and in Excel.

ColorBrewer's YlGnBu is sequential and colour-blind safe, and stays readable when printed in grey.
Zero ("no partner") is never part of the scale: it is a light grey so a gap never looks like "a little".
Plain Python on purpose (no matplotlib import), so the screen map can use it cheaply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# ColorBrewer YlGnBu, 9 classes (light to dark).
YLGNBU: tuple[str, ...] = ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8",
                           "#253494", "#081d58")
# ColorBrewer's own YlGnBu schemes for k classes: the map legend uses these, chosen for telling classes apart.
YLGNBU_CLASSES: dict[int, tuple[str, ...]] = {
    1: ("#2c7fb8",),
    2: ("#a1dab4", "#2c7fb8"),
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
ZERO_COLOUR = "#eeeeee"  # cells / districts with nothing
NO_DATA_COLOUR = "#ffffff"
# The lightest stops are too pale on paper next to the zero grey: values start at the 2nd stop.
_FIRST_STOP = 1


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(max(0, min(255, round(c))) for c in rgb))


def heat_colour(value: float | None, vmax: float | None) -> str:
    """Background colour of a matrix cell or a district: grey for 0, darker blue for more.

    `vmax` is the largest value in the table (totals excluded); a value at or above it gets the darkest colour.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_DATA_COLOUR
    if value <= 0:
        return ZERO_COLOUR
    if not vmax or vmax <= 0:
        vmax = value
    share = min(1.0, float(value) / float(vmax))
    stops = YLGNBU[_FIRST_STOP:]
    pos = share * (len(stops) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(stops) - 1)
    frac = pos - lo
    a, b = _rgb(stops[lo]), _rgb(stops[hi])
    return _hex(tuple(a[i] + (b[i] - a[i]) * frac for i in range(3)))


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on `background` (WCAG relative luminance)."""
    def lin(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(background)
    lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return "#000000" if lum > 0.22 else "#ffffff"


def class_breaks(vmax: int, max_classes: int = 6) -> list[tuple[int, int]]:
    """Integer classes for a map legend of counts (partners per district), e.g. 1, 2, 3-4, 5-8, 9-15.

    Small maxima get one class per value so a reader can read the exact count off the legend.
    """
    vmax = int(vmax)
    if vmax <= 0:
        return []
    if vmax <= max_classes:
        return [(v, v) for v in range(1, vmax + 1)]
    edges = [1]
    ratio = vmax ** (1 / max_classes)
    while edges[-1] < vmax and len(edges) < max_classes:
        nxt = max(edges[-1] + 1, int(round(edges[-1] * ratio)))
        edges.append(min(nxt, vmax + 1))
    classes = []
    for i, lo in enumerate(edges):
        hi = edges[i + 1] - 1 if i + 1 < len(edges) else vmax
        if lo > vmax:
            break
        classes.append((lo, max(lo, hi)))
    if classes and classes[-1][1] < vmax:
        classes[-1] = (classes[-1][0], vmax)
    return classes


def class_label(lo: int, hi: int) -> str:
    return str(lo) if lo == hi else f"{lo}–{hi}"


def class_colour(lo: int, hi: int, vmax: int) -> str:
    """Colour of a map legend class: classes are spread evenly over the scale so neighbours stay distinguishable
    (1 and 2–3 partners must not look alike); the top class is the darkest, as in the tables."""
    classes = class_breaks(vmax)
    if (lo, hi) not in classes or len(classes) not in YLGNBU_CLASSES:
        return heat_colour(hi, vmax)
    return YLGNBU_CLASSES[len(classes)][classes.index((lo, hi))]


def short_number(value: float) -> str:
    """A legend number as people read it: 950, 9,500, 50k, 5.5M (the style of the matrices' colour keys)."""
    value = float(value)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}"


def _nice_step(raw: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at or above `raw`, so class edges are round numbers."""
    if raw <= 0:
        return 1.0
    exp = math.floor(math.log10(raw))
    for m in ((1, 2, 5, 10) if exp <= 0 else (1, 1.5, 2, 2.5, 5, 10)):
        step = m * 10 ** exp
        if step >= raw - 1e-9:
            return float(step)
    return float(10 ** (exp + 1))


def amount_breaks(vmax: float, classes: int = 5) -> list[tuple[float, float]]:
    """Equal, round-numbered ranges from 0 to the largest amount (beneficiaries, budgets).

    Linear like the matrices' colour scale, so '1M–2M' means the same on the map legend and beside a matrix;
    each range states both ends, so every value has a stated colour.
    """
    if vmax is None or vmax <= 0:
        return []
    if vmax <= classes:
        return [(float(v - 1), float(v)) for v in range(1, int(math.ceil(vmax)) + 1)]
    step = _nice_step(vmax / classes)
    out = []
    lo = 0.0
    while lo < vmax:
        out.append((lo, lo + step))
        lo += step
    return out


def amount_label(lo: float, hi: float) -> str:
    return f"up to {short_number(hi)}" if lo <= 0 else f"{short_number(lo)}–{short_number(hi)}"


def amount_colour(index: int, count: int) -> str:
    """Colour of the index-th of `count` amount ranges (ColorBrewer's own k-class scheme, darkest on top)."""
    scheme = YLGNBU_CLASSES.get(count)
    if scheme is None:
        return heat_colour(index + 1, count)
    return scheme[index]


@dataclass(frozen=True)
class ColourClass:
    """One range of a table's colour key: every value from just above the previous class's `hi` up to `hi`."""

    lo: float
    hi: float
    colour: str
    label: str


# Cells of at most this many (activities, partners) read as counts: exact small values, then widening ranges.
COUNT_SCALE_MAX = 100


def value_classes(vmax: float) -> list[ColourClass]:
    """The colour key of a matrix: ranges that cover every value from 1 to `vmax`, each with its own colour.

    A key of single values (1, 2, 4, 6, 9) leaves a 5 without a stated colour; ranges don't. Whole counts up to
    COUNT_SCALE_MAX use the map's count classes (1, 2, 3-4, 5-8 ...); larger amounts (people, budgets) use the
    map's equal round ranges (up to 50k, 50k-100k ...). Screen, PDF and Excel all colour cells with this key.
    """
    if vmax is None or not vmax > 0 or (isinstance(vmax, float) and math.isinf(vmax)):
        return []
    if float(vmax).is_integer() and vmax <= COUNT_SCALE_MAX:
        top = int(vmax)
        return [ColourClass(lo, hi, class_colour(lo, hi, top), class_label(lo, hi)) for lo, hi in class_breaks(top)]
    ranges = amount_breaks(vmax)
    return [ColourClass(lo, hi, amount_colour(i, len(ranges)), amount_label(lo, hi))
            for i, (lo, hi) in enumerate(ranges)]


def class_colour_of(value: float | None, classes: list[ColourClass]) -> str:
    """The colour of a value under a key from `value_classes`: grey for nothing, white for no data."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NO_DATA_COLOUR
    if value <= 0 or not classes:
        return ZERO_COLOUR
    for c in classes:
        if value <= c.hi:
            return c.colour
    return classes[-1].colour
