"""The one cache store in `<vault>/.crm/` (docs/performance.md): the codec, the framed
files and their one atomic writer, and the one memo of finished outputs.

Every file is written whole to a temporary file and renamed over the old one, so a
reader sees the old file or the new one and never half of either, however many `crm`
processes run at once (last writer wins; both wrote a correct cache):

- `parsed.cache` — every note's `ParsedNote`, keyed by the note's path, size and
  `mtime_ns`. A note whose size or mtime changed, or that is new, is parsed again; a
  deleted note simply is not carried over.
- `index.cache` — the built index, with the vault state it was built from (every note's
  path, size and mtime, the config), the day, and each note's own problems, one frame
  per contact (indexfile.py): reused when nothing changed, and updated for the notes that
  changed otherwise (load.py), decoding only the contacts used.
- `output-<name>.cache` — finished command output (`crm due --json`, the feed, the
  digest) for one exact vault state (the `Snapshot` key) and day (`Memo`). When nothing
  changed, such a command prints this and never builds the index at all. Large outputs
  are stored and printed back in pieces (`Memo.stream`, read with `open_frames`).
- `ics-events.cache` — each contact's share of the feed (outcache.py).

Each starts with a magic line and a stamp (cache format, package version, Python version,
the shape of the model's dataclasses, the config fingerprint; for outputs also the
renderers' sources), compared byte for byte; then a sequence of marshalled objects, each
framed by its length, and a CRC. Anything that does not match — another version, a
truncated or corrupt file, a file that is not ours — is treated as no cache and
replaced; it is never trusted and never an error. If `.crm/` cannot be written (a
read-only vault), everything works without it.

The payload is `marshal` of plain tuples (dates as ordinals), not pickle of dataclasses:
it loads several times faster, and the format cannot run code. It stores what the index
needs from each note, not the note's text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import marshal
import os
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from plaintextcrm import __version__
from plaintextcrm.errors import CacheChanged
from plaintextcrm.lazyseq import LazySequence
from plaintextcrm.model import (
    Cadence,
    Contact,
    ContactFields,
    DatedItem,
    Index,
    Interaction,
    Mention,
    ParsedNote,
    Problem,
    Reminder,
    Task,
    YearlyDate,
)
from plaintextcrm.readfile import open_regular, read_regular

#: Bump when the payload layout changes in a way the model's shape does not show.
FORMAT = 18
MAGIC = b"plaintextcrm-cache\n"
PARSED_FILE = "parsed.cache"
INDEX_FILE = "index.cache"
#: `crm due`'s finished output (`Session.cached`: each command keeps its own file, so a
#: warm `crm due` never reads `crm list --json`'s 40 MB at 50k contacts).
RESULTS_FILE = "output-due.cache"
#: Finished outputs of one name (`output-<name>.cache`) kept side by side for one vault
#: state: digest formats, `--days` values, `due` with and without `--json`...
MEMO_ENTRIES = 8
#: Entries per marshalled object in a cache file: few calls, yet never the whole cache
#: as one object.
CHUNK = 1000


def _model_shape() -> str:
    """The field names of every cached dataclass, so a model change invalidates the cache."""
    classes = (ParsedNote, ContactFields, YearlyDate, Cadence, DatedItem, Task, Problem,
               Mention, Interaction, Contact, Index, Reminder)  # fmt: skip
    return repr([(c.__name__, [f.name for f in dataclasses.fields(c)]) for c in classes])


def stamp(config_fingerprint: str) -> bytes:
    """What a cache file must have been written by to be trusted (compared exactly)."""
    raw = repr((FORMAT, __version__, sys.version_info[:2], _model_shape(), config_fingerprint))
    return raw.encode("utf-8")


# ---------------------------------------------------------------- codec: model <-> tuples


def _day(d: date | None) -> int | None:
    return d.toordinal() if d is not None else None


class _Days(dict[int, date]):
    """Ordinal → one shared `date` object: a vault has ~150k dated lines but only a few
    thousand distinct days, and sharing the (immutable) objects saves memory."""

    def __missing__(self, ordinal: int) -> date:
        day = self[ordinal] = date.fromordinal(ordinal)
        return day


_DAYS = _Days()


def _undo_day(n: int | None) -> date | None:
    return _DAYS[n] if n is not None else None


def _yearly(y: YearlyDate) -> tuple[Any, ...]:
    return (y.month, y.day, y.year, y.label, y.raw)


def _cadence(c: Cadence | None) -> tuple[Any, ...] | None:
    return (c.amount, c.unit, c.raw) if c is not None else None


def encode_problem(p: Problem) -> tuple[Any, ...]:
    """A Problem as a tuple (`Problem(*t)` is the inverse)."""
    return (p.path, p.line, p.level, p.message)


def _fields(f: ContactFields | None) -> tuple[Any, ...] | None:
    if f is None:
        return None
    return (
        f.name, f.aliases, _yearly(f.birthday) if f.birthday else None, f.birthday_raw,
        tuple(_yearly(y) for y in f.dates), _cadence(f.cadence), f.cadence_raw, f.circle,
        _day(f.last_contact), _day(f.snooze), f.emails, f.phones, f.company, f.role,
        f.location, f.met, f.url, f.linkedin, f.tags, _day(f.created), _day(f.follow_up),
        f.follow_up_text, f.follow_up_line, f.uid,
    )  # fmt: skip


def encode_note(n: ParsedNote) -> tuple[Any, ...]:
    """A ParsedNote as nested tuples of str, int, bool and None (marshal-able)."""
    return (
        n.path,
        n.stem,
        n.is_contact,
        _fields(n.fields),
        _day(n.note_date),
        n.links,
        tuple((i.line, i.date.toordinal(), i.text, i.links, i.gave, i.got) for i in n.items),
        tuple(_task(t) for t in n.tasks),
        tuple(encode_problem(p) for p in n.problems),
        n.skipped,
        n.near_miss,
        tuple((m.target, m.text) for m in n.mentions),
    )


def _decode_fields(t: tuple[Any, ...] | None) -> ContactFields | None:
    if t is None:
        return None
    (name, aliases, birthday, birthday_raw, dates, cadence, cadence_raw, circle, last,
     snooze, emails, phones, company, role, location, met, url, linkedin, tags, created,
     follow_up, follow_up_text, follow_up_line, uid) = t  # fmt: skip
    return ContactFields(
        name, aliases, YearlyDate(*birthday) if birthday else None, birthday_raw,
        tuple(YearlyDate(*y) for y in dates), Cadence(*cadence) if cadence else None,
        cadence_raw, circle, _undo_day(last), _undo_day(snooze), emails, phones, company,
        role, location, met, url, linkedin, tags, _undo_day(created), _undo_day(follow_up),
        follow_up_text, follow_up_line, uid,
    )  # fmt: skip


def decode_note(t: tuple[Any, ...]) -> ParsedNote:
    """The inverse of `encode_note`."""
    (
        path,
        stem,
        is_contact,
        fields,
        note_date,
        links,
        items,
        tasks,
        problems,
        skipped,
        near,
        mentions,
    ) = t
    fromordinal = _DAYS.__getitem__
    return ParsedNote(
        path,
        stem,
        is_contact,
        _decode_fields(fields),
        _undo_day(note_date),
        links,
        tuple(DatedItem(i[0], fromordinal(i[1]), *i[2:]) for i in items),
        tuple(_decode_task(x) for x in tasks),
        tuple(Problem(*p) for p in problems),
        skipped,
        near,
        tuple(Mention(*m) for m in mentions),
    )


def dump_note(n: ParsedNote) -> bytes:
    """One note's cache entry: kept as bytes, so a cache holds one small object per note."""
    return marshal.dumps(encode_note(n))


def load_note(blob: bytes) -> ParsedNote:
    """The inverse of `dump_note`; raises ValueError (or TypeError...) on a bad entry."""
    return decode_note(marshal.loads(blob))


def _task(t: Task) -> tuple[Any, ...]:
    return (t.path, t.line, t.status, _day(t.due), t.text, t.links)


def _decode_task(t: tuple[Any, ...]) -> Task:
    a, b, c, d, e, f = t
    return Task(a, b, c, _undo_day(d), e, f)


def encode_contact(c: Contact) -> tuple[Any, ...]:
    """A built Contact as nested tuples (`decode_contact` is the inverse)."""
    seen = tuple((i.date.toordinal(), i.text, i.path, i.line, i.gave, i.got)
                 for i in c.interactions)  # fmt: skip
    return (c.path, _fields(c.fields), _cadence(c.cadence), tuple(map(_task, c.tasks)), seen)


def decode_contact(t: tuple[Any, ...]) -> Contact:
    """The inverse of `encode_contact`."""
    path, fields, cadence, tasks, interactions = t
    fromordinal = _DAYS.__getitem__
    return Contact(
        path,
        _decode_fields(fields),  # type: ignore[arg-type]
        Cadence(*cadence) if cadence else None,
        tuple(_decode_task(x) for x in tasks),
        tuple(Interaction(fromordinal(i[0]), *i[1:]) for i in interactions),
    )


def contact_key(encoded: tuple[Any, ...]) -> bytes:
    """A 16-byte key of a contact's data (`encode_contact`'s tuple): BLAKE2 of its
    marshal version 2 bytes, which unlike later versions depend on the values only (not
    on which strings are shared or interned), so the same contact has the same key
    whether it was parsed, decoded or rebuilt."""
    import hashlib  # OpenSSL's: not on the warm path

    return hashlib.blake2b(marshal.dumps(encoded, 2), digest_size=16).digest()


def encode_reminder(r: Reminder) -> tuple[Any, ...]:
    """A Reminder as a flat tuple: its date's ordinal first, its kind second, so a window
    can be applied before anything is decoded."""
    return (
        r.date.toordinal(), r.kind, r.contact, r.note, r.title, r.overdue_days, r.text,
        r.line, r.age, r.label, r.years, _day(r.last_contact), r.cadence, r.key,
    )  # fmt: skip


def decode_reminder(t: tuple[Any, ...]) -> Reminder:
    """The inverse of `encode_reminder`."""
    day, kind, contact, note, title, overdue, text, line, age, label, years, last, *rest = t
    return Reminder(
        _DAYS[day], kind, contact, note, title, overdue, text, line, age, label, years,
        _undo_day(last), *rest,
    )  # fmt: skip


def chunks(items: list[Any]) -> Iterator[list[Any]]:
    """`items` CHUNK at a time: the frames of a file with one entry per note or contact,
    few enough to write quickly, never the whole table as one object."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


# ---------------------------------------------------------------- files


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic GC while building many small objects that form no cycles.

    Each collection walks every young object, and a 10k-note index is ~300k of them;
    pausing it for the load halves the time to build the index. On the way out the
    survivors are frozen (`gc.freeze`): they are acyclic and long-lived, so later
    collections need not walk them again (refcounting still frees them).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.freeze()
            gc.enable()


def _head(stamp_: bytes) -> bytes:
    return MAGIC + len(stamp_).to_bytes(4, "big") + stamp_


def _checked(state: Path, name: str, expect: bytes) -> tuple[bytes, int] | None:
    """`state/name`'s bytes and where its payload starts, if its stamp is `expect` and
    its CRC checks; else None."""
    try:
        data = read_regular(state / name)  # a FIFO or a device: no cache, never a hang
    except OSError:
        return None
    head = _head(expect)
    if not data.startswith(head) or len(data) < len(head) + 4:
        return None
    crc = int.from_bytes(data[-4:], "big")
    if zlib.crc32(memoryview(data)[len(head) : -4]) != crc:
        return None
    return data, len(head)


def read(state: Path, name: str, expect: bytes) -> Iterator[Any] | None:
    """The objects stored in `state/name`, lazily, if its stamp is `expect` and its CRC
    checks; else None. A consumer must still treat ValueError, EOFError and TypeError
    while iterating as "no cache" (a payload of the wrong shape)."""
    checked = _checked(state, name, expect)
    if checked is None:
        return None
    data, start = checked
    return _objects(data, start, len(data) - 4)


def _objects(data: bytes, start: int, end: int) -> Iterator[Any]:
    """The framed objects of `data[start:end]`: each is an 8-byte length and that many
    bytes of marshal, read with `marshal.loads` on a slice of the one buffer (a stream
    read each small object through a method call: 0.4 s for a 10k-note index)."""
    view = memoryview(data)
    pos = start
    while pos < end:
        size = int.from_bytes(view[pos : pos + 8], "big")
        pos += 8
        if pos + size > end:
            raise ValueError("cache: a frame runs past the end")
        yield marshal.loads(view[pos : pos + size])
        pos += size


#: Block size of the read that checks a file read from disk as needed.
_BLOCK = 1 << 20


class DiskFrames(LazySequence[Any]):
    """The objects of a checked cache file, left on disk: object `i` is read (`os.pread`
    on the file as it was opened, whatever replaced it since) and unmarshalled when
    asked. A reader of a 100 MB index that needs a few contacts holds a few pages."""

    def __init__(self, fd: int, spans: list[tuple[int, int]], name: str = "") -> None:
        self._fd = fd
        self._spans = spans
        self._name = name

    def __len__(self) -> int:
        return len(self._spans)

    def item(self, i: int) -> Any:
        offset, size = self._spans[i]
        try:
            data = os.pread(self._fd, size, offset)
            if len(data) == size:
                return marshal.loads(data)
        except (OSError, ValueError, EOFError, TypeError):
            pass
        raise CacheChanged(self._name)  # rewritten in place by another program since

    def __del__(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


def open_frames(state: Path, name: str, expect: bytes) -> DiskFrames | None:
    """`read` without holding the file: its CRC is checked frame by frame as it is read
    through once, then each object is read again only when asked (`DiskFrames`)."""
    try:
        fd = open_regular(state / name)
    except OSError:
        return None
    try:
        spans = _spans(fd, expect)
    except (OSError, ValueError):
        spans = None
    if spans is None:
        os.close(fd)
        return None
    return DiskFrames(fd, spans, name)


def _spans(fd: int, expect: bytes) -> list[tuple[int, int]] | None:
    """Where each object of the open cache file `fd` lies, if its stamp and CRC check."""
    size = os.fstat(fd).st_size
    head = _head(expect)
    f = os.fdopen(fd, "rb", closefd=False)
    with f:
        if size < len(head) + 4 or f.read(len(head)) != head:
            return None
        end, pos, crc = size - 4, len(head), 0
        spans = []
        while pos < end:
            frame = f.read(8)
            length = int.from_bytes(frame, "big")
            if len(frame) != 8 or pos + 8 + length > end:
                return None
            crc = zlib.crc32(frame, crc)
            left = length
            while left > 0:
                block = f.read(min(_BLOCK, left))
                if not block:
                    return None
                crc, left = zlib.crc32(block, crc), left - len(block)
            spans.append((pos + 8, length))
            pos += 8 + length
        if f.read(4) != crc.to_bytes(4, "big"):
            return None
    return spans


def read_one(state: Path, name: str, expect: bytes) -> Any | None:
    """The first object of `state/name` (see `read`), or None."""
    objects = read(state, name, expect)
    if objects is None:
        return None
    try:
        return next(objects, None)
    except (TypeError, ValueError, EOFError):
        return None


def read_table(state: Path, name: str, expect: bytes, head: Any) -> dict[Any, Any]:
    """The dict stored in `state/name` as `(head, table)` when its head is `head` (the vault
    state and day it was made for), else an empty dict: the layout of every memo file."""
    payload = read_one(state, name, expect)
    if (
        isinstance(payload, tuple)
        and len(payload) == 2
        and payload[0] == head
        and isinstance(payload[1], dict)
    ):
        return payload[1]
    return {}


def write(state: Path, name: str, stamp_: bytes, objects: Iterable[Any]) -> bool:
    """Atomically replace `state/name` with `objects`, one after another.

    Each object is marshalled and written as it comes, framed by its length, so a large
    cache never exists twice in memory (as objects and as one big bytes) and reads back
    with `marshal.loads` on slices. The CRC trails the payload.
    False (and no error) when it cannot be written.
    """
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=state)
        with os.fdopen(fd, "wb") as f:
            f.write(_head(stamp_))
            crc = 0
            for obj in objects:
                chunk = marshal.dumps(obj)
                size = len(chunk).to_bytes(8, "big")
                crc = zlib.crc32(chunk, zlib.crc32(size, crc))
                f.write(size)
                f.write(chunk)
            f.write(crc.to_bytes(4, "big"))
        os.replace(tmp, state / name)
        return True
    except (OSError, ValueError):
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return False
    except BaseException:  # an interrupt, or the objects' producer failing: no file
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


# ---------------------------------------------------------------- finished outputs

#: Sources whose code decides finished outputs' bytes: an edited checkout must not be
#: served yesterday's rendering under the same package version.
_RENDER_MODULES = (
    "render/ics.py",
    "render/digest.py",
    "render/text.py",
    "render/charts.py",
    "render/reach.py",
    "render/terminal.py",
    "render/formatters.py",
    "render/jsonout.py",
    "reminders.py",
    "dates.py",
    "wikilinks.py",
    "model.py",
    "queries.py",
    "outcache.py",
    "commands/read.py",
)


def code_stamp() -> tuple[Any, ...]:
    """Size and mtime of every renderer source (cheap: a few `stat` calls)."""
    package = Path(__file__).parent
    out: list[Any] = []
    for rel in _RENDER_MODULES:
        try:
            st = os.stat(package / rel)
            out.append((rel, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((rel, None))
    return tuple(out)


def output_stamp(config_fingerprint: str) -> bytes:
    """What a finished-output file must have been written by to be trusted: the cache
    stamp and the renderers' code."""
    return stamp(config_fingerprint) + b"\n" + repr(code_stamp()).encode("utf-8")


#: What `Memo.stream` calls to make an output: (a small value, the output's pieces).
Producer = Callable[[], tuple[Any, Iterable[Any]]]
#: Where `Memo.stream` sends each piece (stdout, a list).
Sink = Callable[[Any], object]


@dataclass(frozen=True)
class Memo:
    """Finished outputs for one vault state and day: the one memo of `due`, `list`,
    `ics`, `digest`, `serve` and `watch`. `state` None (no `.crm/`) or `vault` None
    (a note too fresh to trust) turns it off."""

    state: Path | None
    vault: tuple[Any, ...] | None
    today: date
    stamp: bytes

    def get_or_compute(self, name: str, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """`compute()`'s value (marshal-able), stored in `output-<name>.cache` for this
        vault state, day and `key`; on a later call with all of them unchanged, the stored
        value without calling `compute`."""
        if self.state is None or self.vault is None:
            return compute()
        file = f"output-{name}.cache"
        head = (self.vault, self.today.toordinal())
        memo: dict[str, Any] = read_table(self.state, file, self.stamp, head)
        k = repr(key)
        if k in memo:
            return memo[k]
        value = compute()
        if len(memo) >= MEMO_ENTRIES:
            memo.clear()
        memo[k] = value
        write(self.state, file, self.stamp, [(head, memo)])
        return value

    def stream(
        self,
        name: str,
        key: tuple[Any, ...],
        produce: Producer,
        emit: Sink,
    ) -> Any:
        """`get_or_compute` for an output too large to hold: `produce()` gives (a small
        value to keep beside it, the output's pieces), each piece is passed to `emit` as
        it is made and stored as it goes; on a later call with vault, day and `key`
        unchanged, the stored pieces are passed to `emit` one at a time. Returns the
        small value. `output-<name>.cache` holds the output of the last key asked."""
        if self.state is None or self.vault is None:
            small, pieces = produce()
            for piece in pieces:
                emit(piece)
            return small
        file = f"output-{name}.cache"
        head = (self.vault, self.today.toordinal(), repr(key))
        stored = open_frames(self.state, file, self.stamp)
        if stored is not None and len(stored) >= 2:
            try:
                found, small = stored[0], stored[1]
            except (TypeError, ValueError, EOFError, CacheChanged):
                found = None  # of another shape, or rewritten since it was checked
            if found == head:
                for i in range(2, len(stored)):
                    emit(stored[i])
                return small
        return self._stream_new(file, head, produce, emit)

    def _stream_new(
        self,
        file: str,
        head: tuple[Any, ...],
        produce: Producer,
        emit: Sink,
    ) -> Any:
        """Make, emit and store an output (`stream`). The file is written only when
        every piece was made and emitted: a failure of either is raised after the
        temporary file is gone, and a failure of the write alone emits the rest."""
        assert self.state is not None
        small, pieces = produce()
        pieces = iter(pieces)
        failure: BaseException | None = None

        def tee() -> Iterator[Any]:
            nonlocal failure
            yield head
            yield small
            try:
                for piece in pieces:
                    emit(piece)
                    yield piece
            except Exception as exc:  # not GeneratorExit: `write` gave up on its own
                failure = exc
                raise _Abandon from exc

        with contextlib.suppress(_Abandon):
            write(self.state, file, self.stamp, tee())
        if failure is not None:
            raise failure
        for piece in pieces:  # the write failed on its own: the output goes on
            emit(piece)
        return small


class _Abandon(Exception):
    """Raised into `write` to drop a file whose pieces could not all be made."""
