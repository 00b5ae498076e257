"""vCard 2.1, 3.0 and 4.0 files → ImportRecords.

vobject parses one card at a time, after a small normalisation pass that it needs for
real phone exports: vCard 2.1 quoted-printable values whose soft line breaks continue on
an unindented line (Android writes these; vobject 0.9.9 fails on them) are joined and
decoded with their CHARSET, and binary properties (PHOTO, LOGO, SOUND, KEY) are dropped
before parsing, since a CRM note has no use for them and their base64 is where broken
exports are most often broken. Cards are split before parsing so that one bad card is
reported and the rest of the file still imports.
"""

from __future__ import annotations

import quopri
import re
from pathlib import Path

from plaintextcrm.importers.record import (
    MAX_CARD_BYTES,
    MAX_NOTE,
    MAX_VALUES,
    ImportRecord,
    ImportResult,
    Skipped,
    clean_line,
    clean_tag,
    clean_text,
    is_linkedin,
    unique,
    yearly,
)

SOURCE = "vcard"
_BINARY = {"PHOTO", "LOGO", "SOUND", "KEY"}
_PROP = re.compile(r"^(?:[\w-]+\.)?([\w-]+)((?:;[^:]*)?):", re.ASCII)
_STRUCTURED = {"N", "ADR", "ORG"}
#: Yearly dates besides BDAY, and the label each gets when the card gives none.
DATE_PROPERTIES = (
    ("ANNIVERSARY", "anniversary"),
    ("X-ANNIVERSARY", "anniversary"),
    ("X-EVOLUTION-ANNIVERSARY", "anniversary"),
    ("X-ABDATE", ""),
)
#: Apple's built-in labels, `_$!<Anniversary>!$_`, as the words people use.
_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
#: Properties of one card that are read at all: beyond this many of one name (`EMAIL`),
#: or this many in all, the rest is counted and reported, never parsed.
MAX_PROPERTIES = 1000
#: A property line longer than this (after unfolding) is cut before vobject sees it: a
#: NOTE may use up to MAX_NOTE characters (escaped, hence twice), anything else 4 KiB.
MAX_LINE = 2 * MAX_NOTE
MAX_SHORT_LINE = 4096
#: Apple labels (`itemN.X-ABLabel`) come with other properties, so they have the total cap.
_PER_NAME_EXEMPT = {"X-ABLABEL", "VERSION", "BEGIN", "END"}


def read_vcards(path: Path, display: str | None = None) -> ImportResult:
    """Every card in one `.vcf` file; cards that cannot be read are skipped with a reason."""
    display = display or path.name
    import os

    from plaintextcrm.readfile import open_regular

    try:
        # card by card: a file of any size, bounded memory; a FIFO or device is refused
        with os.fdopen(open_regular(path), "rb") as handle:
            return _parse(handle, display)
    except OSError as exc:
        return ImportResult(skipped=(Skipped(display, f"cannot read the file: {exc.strerror}"),))


def parse_vcards(data: bytes, display: str) -> ImportResult:
    """The cards of one file's bytes (see `_parse`)."""
    import io

    return _parse(io.BytesIO(data), display)


def _parse(handle, display: str) -> ImportResult:
    """The cards of one file. Each card's text is UTF-8 (with or without BOM); a card in an
    older 8-bit encoding is read as Latin-1 rather than refused, since vCard 2.1 files
    from old phones often are. A card over MAX_CARD_BYTES is refused with its line."""
    records: list[ImportRecord] = []
    skipped: list[Skipped] = []
    notices: list[str] = []
    found = False
    latin1 = False
    for line, lines, size, name in _split_cards(handle):
        found = True
        origin = f"{display}:{line}"
        if size > MAX_CARD_BYTES:
            skipped.append(
                Skipped(
                    origin,
                    f"the card is {size / 2**20:,.1f} MiB, over the {MAX_CARD_BYTES // 2**20} "
                    "MiB a card may have; not read",
                    _decode(name, latin1)[0][:200] or None,
                )
            )
            continue
        text, latin1 = _decode(b"\n".join(lines), latin1)
        one = _read_card(text.split("\n"), origin, 0)
        records.extend(one.records)
        skipped.extend(one.skipped)
        notices.extend(one.notices)
    if not found:
        return ImportResult(skipped=(Skipped(display, "no BEGIN:VCARD ... END:VCARD found"),))
    return ImportResult(tuple(records), tuple(skipped), tuple(notices))


def _decode(data: bytes, latin1: bool) -> tuple[str, bool]:
    """UTF-8 (BOM dropped), else Latin-1 — and Latin-1 from then on, for the whole file."""
    if not latin1:
        try:
            return data.decode("utf-8-sig"), False
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1"), True


def _lines(handle):
    """The file's lines without their ends: LF, CRLF, and old Macs' lone CR."""
    for raw in handle:
        raw = raw.rstrip(b"\n")
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if b"\r" in raw:
            yield from raw.split(b"\r")
        else:
            yield raw


def _split_cards(handle):
    """(line number of BEGIN, the card's physical lines as bytes, the card's size, its
    first FN value) for each top-level card. A card past MAX_CARD_BYTES keeps no more
    lines: it is only measured, so memory stays bounded whatever the file holds."""
    depth = 0
    start = 0
    size = 0
    name = b""
    lines: list[bytes] = []
    for number, raw in enumerate(_lines(handle), 1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        upper = raw.strip().upper()
        if upper == b"BEGIN:VCARD":
            depth += 1
            if depth == 1:
                start, lines, size, name = number, [], 0, b""
        if depth:
            size += len(raw) + 1
            if size <= MAX_CARD_BYTES:
                lines.append(raw)
            if not name and upper.startswith(b"FN") and b":" in raw[:64]:
                name = raw.split(b":", 1)[1][:400].strip()
        if upper == b"END:VCARD" and depth:
            depth -= 1
            if depth == 0:
                yield start, lines, size, name
    if depth:  # a file cut short: the last card without END:VCARD is still tried
        yield start, [*lines, *[b"END:VCARD"] * depth], size, name


def normalise(lines: list[str], dropped: dict[str, int] | None = None) -> str:
    """Physical lines of one card → text vobject reads: unfolded, quoted-printable decoded,
    binary properties removed, CRLF line ends. Linear in the card's size; at most
    MAX_VALUES properties of one name and MAX_PROPERTIES in all are kept, each cut at
    MAX_LINE (a NOTE) or MAX_SHORT_LINE; `dropped` counts what was left out, by name."""
    dropped = {} if dropped is None else dropped
    logical: list[list[str]] = []  # each logical line as its pieces, joined once
    lengths: list[int] = []
    qp_open = False
    is_qp = False
    for raw in lines:
        if qp_open and logical:
            # A quoted-printable soft break (RFC 2045): `=` and the line break vanish and
            # the next line continues the value as it is, indented or not.
            piece = raw
            logical[-1][-1] = logical[-1][-1][:-1]
            lengths[-1] -= 1
        elif raw[:1] in (" ", "\t") and logical:
            piece = raw[1:]
        elif not raw.strip():
            continue
        else:
            logical.append([raw])
            lengths.append(len(raw))
            is_qp = _is_qp(raw)
            qp_open = is_qp and raw.endswith("=")
            continue
        if lengths[-1] <= MAX_LINE:  # past the cap the rest of the value is only skipped
            logical[-1].append(piece)
            lengths[-1] += len(piece)
        qp_open = is_qp and piece.endswith("=")
    out: list[str] = []
    counts: dict[str, int] = {}
    for pieces, length in zip(logical, lengths, strict=True):
        line = "".join(pieces)
        m = _PROP.match(line)
        if not m:
            if ":" in line:
                out.append(line[:MAX_SHORT_LINE])
            continue
        name = m[1].upper()
        if name in _BINARY:
            continue
        counts[name] = counts.get(name, 0) + 1
        if (counts[name] > MAX_VALUES and name not in _PER_NAME_EXEMPT) or (
            len(out) >= MAX_PROPERTIES and name != "END"
        ):
            dropped[name] = dropped.get(name, 0) + 1
            continue
        limit = MAX_LINE if name == "NOTE" else MAX_SHORT_LINE
        if length > limit:
            line = _cut(line, limit)
            dropped[f"{name} text"] = dropped.get(f"{name} text", 0) + 1
        if _is_qp(line):
            line = _decode_qp(line, name)
        out.append(line)
    return "\r\n".join(out) + "\r\n"


def _cut(line: str, limit: int) -> str:
    """`line` cut to `limit` characters without leaving half an escape (`\\`, `=4`)."""
    line = line[:limit]
    tail = re.search(r"(\\+|=[0-9A-Fa-f]?)$", line)
    if tail and (tail[1].startswith("=") or len(tail[1]) % 2):
        line = line[: len(line) - (len(tail[1]) if tail[1].startswith("=") else 1)]
    return line


def _params(line: str) -> str:
    m = _PROP.match(line)
    return m[2].upper() if m else ""


def _is_qp(line: str) -> bool:
    return "QUOTED-PRINTABLE" in _params(line)


def _decode_qp(line: str, name: str) -> str:
    """`NOTE;CHARSET=X;ENCODING=QUOTED-PRINTABLE:...` → `NOTE:decoded`, escaped as 3.0 text."""
    head, _, value = line.partition(":")
    charset = "utf-8"
    kept = []
    for param in head.split(";")[1:]:
        key, _, val = param.partition("=")
        if key.upper() == "CHARSET":
            charset = val.strip('"') or "utf-8"
        elif key.upper() == "ENCODING" or param.upper() == "QUOTED-PRINTABLE":
            continue
        else:
            kept.append(param)
    raw = quopri.decodestring(value.encode("latin-1", "replace"))
    try:
        decoded = raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        decoded = raw.decode("utf-8", "replace")
    decoded = decoded.replace("\r\n", "\n").replace("\r", "\n")
    escaped = decoded.replace("\\", "\\\\").replace("\n", "\\n")
    if name not in _STRUCTURED:
        escaped = escaped.replace(",", "\\,")
    prefix = head.split(";")[0]
    return ";".join([prefix, *kept]) + ":" + escaped


def _read_card(lines: list[str], origin: str, number: int) -> ImportResult:
    import vobject

    dropped: dict[str, int] = {}
    text = normalise(lines, dropped)
    try:
        card = vobject.readOne(text, ignoreUnreadable=True)
    except Exception as exc:  # vobject raises many kinds; every one means "this card"
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return ImportResult(skipped=(Skipped(origin, f"cannot parse this card: {reason}"),))
    result = _record(card, origin, _nicknames(text))
    if dropped:
        who = result.records[0].name[:80] if result.records else ""
        what = ", ".join(
            f"{n:,} {name}" if not name.endswith(" text") else f"{n:,} {name} cut"
            for name, n in sorted(dropped.items(), key=lambda item: -item[1])
        )
        limits = f"at most {MAX_VALUES} of one kind and {MAX_PROPERTIES} in all are read"
        notice = f"{origin}: {who + ': ' if who else ''}not imported: {what} ({limits})"
        result = ImportResult(result.records, result.skipped, (*result.notices, notice))
    return result


_NICKNAME = re.compile(r"^(?:[\w-]+\.)?NICKNAME(?:;[^:]*)?:(.*)$", re.IGNORECASE | re.MULTILINE)


def _nicknames(text: str) -> list[str]:
    r"""NICKNAME is a comma-separated list with `\,` for a literal comma; vobject 0.9.9
    drops every item after the first, so the raw lines are read here."""
    out: list[str] = []
    for m in _NICKNAME.finditer(text):
        out += [clean_line(item) for item in _text_list(m[1].rstrip("\r"))]
    return out


def _text_list(raw: str) -> list[str]:
    r"""A vCard TEXT list, unescaped in one pass: `\,` a comma, `\\` a backslash, `\n`
    a line break (a space here), `,` the separator. One pass matters: `a\\N` is `a\N`,
    never `a` and a line break."""
    items: list[str] = []
    current: list[str] = []
    chars = iter(raw)
    for c in chars:
        if c == "\\":
            escaped = next(chars, "")
            current.append(" " if escaped in ("n", "N") else escaped)
        elif c == ",":
            items.append("".join(current))
            current = []
        else:
            current.append(c)
    items.append("".join(current))
    return items


def _values(card, name: str) -> list:
    return [child for child in card.getChildren() if child.name.upper() == name]


def _text(value) -> str:
    if isinstance(value, list):
        return clean_line(", ".join(str(v) for v in value))
    return clean_line(value)


def _name(card) -> str:
    full = ""
    for child in _values(card, "FN"):
        full = _text(child.value)
        if full:
            return full
    for child in _values(card, "N"):
        n = child.value
        if isinstance(n, str):
            parts = [*n.split(";"), "", ""]
            given, family = parts[1], parts[0]
            full = clean_line(f"{given} {family}")
        else:
            full = clean_line(
                " ".join(_text(p) for p in (n.prefix, n.given, n.additional, n.family, n.suffix))
            )
        if full:
            return full
    return ""


def _group_label(card, group: str | None) -> str:
    """The `itemN.X-ABLabel` Apple attaches to a grouped property, as plain words."""
    if not group:
        return ""
    for child in card.getChildren():
        if child.group == group and child.name.upper() == "X-ABLABEL":
            label = clean_line(child.value)
            m = _APPLE_LABEL.match(label)
            return m[1].lower() if m else label
    return ""


def _address(value) -> str:
    if isinstance(value, str):
        return clean_line(value.replace(";", " "))
    parts = [
        _text(value.box),
        _text(value.street),
        _text(value.extended),
        clean_line(f"{_text(value.code)} {_text(value.city)}"),
        _text(value.region),
        _text(value.country),
    ]
    # Some writers put the whole address, line breaks and all, into one component.
    pieces: list[str] = []
    for part in parts:
        pieces.extend(p.strip() for p in re.split(r"\s*\n\s*", part) if p.strip())
    return ", ".join(clean_line(p) for p in pieces if clean_line(p))


def _record(card, origin: str, nicknames: list[str]) -> ImportResult:
    notices: list[str] = []
    name = _name(card)
    orgs = [
        _text(o.value if not isinstance(o.value, list) else o.value[0])
        for o in _values(card, "ORG")
    ]
    company = next((o for o in orgs if o), None)
    show_as = " ".join(_text(c.value) for c in _values(card, "X-ABSHOWAS")).upper()
    kind = " ".join(_text(c.value) for c in _values(card, "KIND")).lower()
    if show_as == "COMPANY" or kind in ("org", "organization", "group", "location"):
        why = "a company card (X-ABShowAs:COMPANY)" if show_as else f"a KIND:{kind} card"
        return ImportResult(skipped=(Skipped(origin, f"{why}, not a person", name or company),))
    if not name:
        what = [
            *(_text(c.value) for c in _values(card, "TEL")),
            *(_text(c.value) for c in _values(card, "EMAIL")),
        ]
        hint = f" (only {', '.join(w for w in what if w)})" if any(what) else ""
        return ImportResult(skipped=(Skipped(origin, f"no name{hint}"),))

    emails = unique([_text(c.value) for c in _values(card, "EMAIL")])
    phones = unique(
        [re.sub(r"^tel:", "", _text(c.value), flags=re.IGNORECASE) for c in _values(card, "TEL")],
        key=lambda p: re.sub(r"[^\d+]", "", p),
    )
    roles = [_text(c.value) for c in _values(card, "TITLE")] + [
        _text(c.value) for c in _values(card, "ROLE")
    ]
    role = next((r for r in roles if r), None)

    note_parts = [clean_text(c.value) for c in _values(card, "NOTE")]
    birthday = None
    for child in _values(card, "BDAY"):
        raw = _text(child.value)
        omit = "X-APPLE-OMIT-YEAR" in {k.upper() for k in child.params}
        is_text = any(v.lower() == "text" for v in child.params.get("VALUE", []))
        birthday = None if is_text else yearly(raw, omit)
        if birthday is None and raw:
            notices.append(f"{origin}: {name}: birthday {raw!r} is not a date; kept in the note")
            note_parts.append(f"Birthday: {raw}")
        if birthday:
            break

    dates: list[str] = []
    for prop, default_label in DATE_PROPERTIES:
        for child in _values(card, prop):
            raw = _text(child.value)
            label = clean_line(_group_label(card, child.group) or default_label)
            omit = "X-APPLE-OMIT-YEAR" in {k.upper() for k in child.params}
            when = yearly(raw, omit)
            if when:
                dates.append(f"{when} {label}".strip())
            elif raw:
                kind = label or "date"
                notices.append(f"{origin}: {name}: {kind} {raw!r} is not a date; kept in the note")
                note_parts.append(f"{kind.capitalize()}: {raw}")

    urls: list[str] = []
    linkedin = None
    for child in _values(card, "X-SOCIALPROFILE"):
        kinds = {v.lower() for v in child.params.get("TYPE", [])}
        value = _text(child.value)
        if value and ("linkedin" in kinds or is_linkedin(value)) and not linkedin:
            linkedin = value
    for child in _values(card, "URL"):
        value = _text(child.value)
        if value and is_linkedin(value) and not linkedin:
            linkedin = value
        elif value:
            urls.append(value)

    address = next((a for a in (_address(c.value) for c in _values(card, "ADR")) if a), None)
    tags: list[str] = []
    for child in _values(card, "CATEGORIES"):
        values = child.value if isinstance(child.value, list) else str(child.value).split(",")
        tags.extend(clean_tag(v) for v in values)
    aliases = nicknames

    record = ImportRecord(
        name=name,
        origin=origin,
        source=SOURCE,
        aliases=tuple(a for a in unique(aliases) if a.casefold() != name.casefold()),
        emails=emails,
        phones=phones,
        company=company,
        role=role,
        birthday=birthday,
        dates=unique(dates),
        urls=unique(urls),
        linkedin=linkedin,
        address=address,
        tags=unique(tags),
        note="\n\n".join(p for p in note_parts if p) or None,
    )
    return ImportResult(records=(record,), notices=tuple(notices))
