"""Fonts embedded in PDF snapshots, and just enough Arabic-script shaping for Urdu names.

reportlab's built-in Helvetica has no glyphs beyond Latin-1 and is not embedded, so a snapshot printed
elsewhere could substitute fonts; DejaVu Sans (Latin) and Noto Naskh Arabic (Urdu, Pashto, Sindhi) are
embedded instead. reportlab draws text left to right without shaping, so Arabic-script runs are put into
their joined presentation forms and visual (right-to-left) order here; without it a name such as لاہور
would print as separate, reversed letters. No extra dependency (python-bidi / arabic-reshaper) is needed
for names; long mixed-direction paragraphs are out of scope.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
SYSTEM_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"),
               Path("/usr/share/fonts/TTF"), Path("/usr/share/fonts/noto"))
FONT_FILES = {
    "StocktakeSans": "DejaVuSans.ttf",
    "StocktakeSans-Bold": "DejaVuSans-Bold.ttf",
    "StocktakeArabic": "NotoNaskhArabic-Regular.ttf",
    "StocktakeArabic-Bold": "NotoNaskhArabic-Bold.ttf",
}
SANS, SANS_BOLD, ARABIC, ARABIC_BOLD = FONT_FILES

_ARABIC_CHAR = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_ARABIC_RUN = re.compile(
    r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]"
    r"(?:[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF\s]*"
    r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF])?")
_registered: dict[str, str] = {}


def font_path(filename: str) -> Path | None:
    """The bundled file, else the same file from the system's font folders."""
    for folder in (HERE, *SYSTEM_DIRS):
        p = folder / filename
        if p.exists():
            return p
    return None


def register() -> dict[str, str]:
    """Register the fonts with reportlab once; returns {role: font name}, falling back to Helvetica if absent."""
    if _registered:
        return _registered
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    found = {}
    for name, filename in FONT_FILES.items():
        path = font_path(filename)
        if path:
            pdfmetrics.registerFont(TTFont(name, str(path)))
            found[name] = name
    sans = found.get(SANS, "Helvetica")
    bold = found.get(SANS_BOLD, "Helvetica-Bold" if sans == "Helvetica" else sans)
    if sans != "Helvetica":
        for b, i, face in ((0, 0, sans), (1, 0, bold), (0, 1, sans), (1, 1, bold)):
            addMapping(SANS, b, i, face)
    arabic = found.get(ARABIC, sans)
    arabic_bold = found.get(ARABIC_BOLD, arabic)
    if arabic == ARABIC:
        for b, i, face in ((0, 0, arabic), (1, 0, arabic_bold), (0, 1, arabic), (1, 1, arabic_bold)):
            addMapping(ARABIC, b, i, face)
    _registered.update({"sans": sans, "bold": bold, "arabic": arabic, "arabic_bold": arabic_bold})
    return _registered


def has_arabic(text: object) -> bool:
    return isinstance(text, str) and bool(_ARABIC_CHAR.search(text))


# letter -> (isolated, final, initial, medial); None where the letter has no such form (right-joining letters).
_FORMS: dict[str, tuple[int, int, int | None, int | None]] = {}


def _add(start: int, letters: str, dual: str) -> None:
    cp = start
    for ch in letters:
        if ch in dual:
            _FORMS[ch] = (cp, cp + 1, cp + 2, cp + 3)
            cp += 4
        else:
            _FORMS[ch] = (cp, cp + 1, None, None)
            cp += 2


_FORMS["\u0621"] = (0xFE80, 0xFE80, None, None)
_add(0xFE81, "\u0622\u0623\u0624\u0625\u0626\u0627\u0628\u0629\u062A\u062B\u062C\u062D\u062E\u062F\u0630\u0631"
     "\u0632\u0633\u0634\u0635\u0636\u0637\u0638\u0639\u063A",
     "\u0626\u0628\u062A\u062B\u062C\u062D\u062E\u0633\u0634\u0635\u0636\u0637\u0638\u0639\u063A")
_add(0xFED1, "\u0641\u0642\u0643\u0644\u0645\u0646\u0647\u0648\u0649\u064A",
     "\u0641\u0642\u0643\u0644\u0645\u0646\u0647\u064A")
for _ch, _start, _dual in (("\u067E", 0xFB56, True), ("\u0679", 0xFB66, True), ("\u0686", 0xFB7A, True),
                           ("\u0688", 0xFB88, False), ("\u0698", 0xFB8A, False), ("\u0691", 0xFB8C, False),
                           ("\u06A9", 0xFB8E, True), ("\u06AF", 0xFB92, True), ("\u06BE", 0xFBAA, True),
                           ("\u06C1", 0xFBA6, True), ("\u06CC", 0xFBFC, True), ("\u06D2", 0xFBAE, False)):
    _FORMS[_ch] = (_start, _start + 1, _start + 2, _start + 3) if _dual else (_start, _start + 1, None, None)
# noon ghunna: only isolated/final forms exist; in the middle of a word it joins like noon
_FORMS["\u06BA"] = (0xFB9E, 0xFB9F, 0xFEE7, 0xFEE8)
_LAM_ALEF = {"\u0622": (0xFEF5, 0xFEF6), "\u0623": (0xFEF7, 0xFEF8), "\u0625": (0xFEF9, 0xFEFA),
             "\u0627": (0xFEFB, 0xFEFC)}
_TRANSPARENT = re.compile(r"[\u064B-\u065F\u0670\u06D6-\u06ED]")
_TATWEEL = "\u0640"


def _joins_next(ch: str | None) -> bool:
    """Can this letter connect to the letter after it (in reading order)?"""
    if ch == _TATWEEL:
        return True
    forms = _FORMS.get(ch or "")
    return bool(forms and forms[2] is not None)


def _joins(ch: str | None) -> bool:
    return ch == _TATWEEL or (ch or "") in _FORMS and ch != "\u0621"


def shape_arabic(text: str) -> str:
    """Contextual forms and lam-alef ligatures for an Arabic-script run (logical order in, logical order out)."""
    chars = list(text)
    out: list[str] = []
    i = 0
    n = len(chars)

    def neighbour(j: int, step: int) -> str | None:
        j += step
        while 0 <= j < n and _TRANSPARENT.match(chars[j]):
            j += step
        return chars[j] if 0 <= j < n else None

    while i < n:
        ch = chars[i]
        forms = _FORMS.get(ch)
        if not forms:
            out.append(ch)
            i += 1
            continue
        prev = neighbour(i, -1)
        joined_prev = _joins_next(prev)
        nxt_i = i + 1
        while nxt_i < n and _TRANSPARENT.match(chars[nxt_i]):
            nxt_i += 1
        if ch == "\u0644" and nxt_i < n and chars[nxt_i] in _LAM_ALEF:
            iso, fin = _LAM_ALEF[chars[nxt_i]]
            out.append(chr(fin if joined_prev else iso))
            out.extend(chars[i + 1:nxt_i])
            i = nxt_i + 1
            continue
        joined_next = forms[2] is not None and _joins(neighbour(i, 1))
        if joined_prev and joined_next:
            cp = forms[3]
        elif joined_prev:
            cp = forms[1]
        elif joined_next:
            cp = forms[2]
        else:
            cp = forms[0]
        out.append(chr(cp if cp is not None else forms[0]))
        i += 1
    return "".join(out)


def visual(text: str) -> str:
    """Plain text ready for a left-to-right renderer: each Arabic-script run shaped and reversed."""
    if not has_arabic(text):
        return text
    return _ARABIC_RUN.sub(lambda m: shape_arabic(m.group(0))[::-1], text)


def runs(text: str) -> list[tuple[str, bool]]:
    """(piece, is_arabic) in drawing order, Arabic pieces already shaped and reversed: for canvas.drawString."""
    out: list[tuple[str, bool]] = []
    last = 0
    for m in _ARABIC_RUN.finditer(text):
        if m.start() > last:
            out.append((text[last:m.start()], False))
        out.append((shape_arabic(m.group(0))[::-1], True))
        last = m.end()
    if last < len(text):
        out.append((text[last:], False))
    return out


def markup(text: object) -> str:
    """reportlab Paragraph markup for user text: XML-escaped, Arabic-script runs shaped and set in the Arabic font."""
    s = "" if text is None else str(text)
    if not has_arabic(s):
        return escape(s)
    fonts = register()
    parts = []
    last = 0
    for m in _ARABIC_RUN.finditer(s):
        parts.append(escape(s[last:m.start()]))
        run = shape_arabic(m.group(0))[::-1]
        parts.append(f'<font name="{fonts["arabic"]}">{escape(run)}</font>')
        last = m.end()
    parts.append(escape(s[last:]))
    return "".join(parts)
