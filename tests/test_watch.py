"""`crm watch`: outputs follow the vault through editors' save patterns and bursts."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import icalendar
import pytest
from live_support import Crm, wait_until
from watchdog.events import (
    DirModifiedEvent,
    FileClosedNoWriteEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
)

from plaintextcrm.errors import UsageError
from plaintextcrm.live.outputs import digest_format, write_if_changed
from plaintextcrm.live.watch import ChangeFilter, Debouncer, Target, Watcher, rebuild

TODAY = "2026-11-23"


def person(name: str, birthday: str = "1990-11-30") -> str:
    return f"---\nname: {name}\nbirthday: {birthday}\ncadence: 2w\n---\n- 2026-11-01 coffee\n"


@pytest.fixture
def notes(vault):
    return vault({"People/Ada.md": person("Ada"), "People/Bob.md": person("Bob")})


def start_watch(root: Path, *outputs: str) -> Crm:
    proc = Crm("--vault", str(root), "--today", TODAY, "watch", *outputs)
    wait_until(lambda: proc.err_lines("rebuilt"), what="the first build")
    return proc


def rebuilds(proc: Crm) -> int:
    return len(proc.err_lines("rebuilt"))


def contains(path: Path, text: str):
    return lambda: path.exists() and text.encode() in path.read_bytes()


def summaries(path: Path) -> set[str]:
    """The SUMMARY of every event in the feed at `path` (which must parse)."""
    return {
        str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    }


def save_atomically(path: Path, text: str) -> None:
    """What most editors do: write a temp file next to the note, then rename over it."""
    tmp = path.with_name(f".{path.name}.tmp-save")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def test_first_build_then_atomic_save_rewrites_both_outputs(notes, tmp_path):
    ics, html = tmp_path / "out.ics", tmp_path / "out.html"
    proc = start_watch(notes, "--ics", str(ics), "--digest", str(html))
    try:
        assert contains(ics, "Ada")() and contains(html, "Bob")()
        assert {"Ada's birthday", "Bob's birthday"} <= summaries(ics)
        assert "<html" in html.read_text(encoding="utf-8").lower()
        save_atomically(notes / "People" / "Bob.md", person("Zed"))
        wait_until(contains(ics, "Zed"), what="the feed to show the renamed contact")
        wait_until(contains(html, "Zed"), what="the digest to show the renamed contact")
        assert "Zed's birthday" in summaries(ics)  # whole, never a half-written file
        assert "Bob's birthday" not in summaries(ics)
        assert "wrote" in proc.err_lines("rebuilt")[-1]
    finally:
        assert proc.stop() == 0


def test_delete_then_create_and_vim_backup_dance(notes, tmp_path):
    ics = tmp_path / "feed.ics"
    proc = start_watch(notes, "--ics", str(ics))
    try:
        ada = notes / "People" / "Ada.md"
        ada.unlink()
        ada.write_text(person("Ida"), encoding="utf-8")
        wait_until(contains(ics, "Ida"), what="delete + create")
        # vim (backupcopy=no): probe file 4913, note renamed to note~, new note, backup gone
        probe = notes / "People" / "4913"
        probe.write_bytes(b"")
        probe.unlink()
        backup = ada.with_name("Ada.md~")
        os.rename(ada, backup)
        ada.write_text(person("Una"), encoding="utf-8")
        backup.unlink()
        wait_until(contains(ics, "Una"), what="vim's save")
        assert "Ida's birthday" not in summaries(ics)
    finally:
        assert proc.stop() == 0


def test_a_burst_of_a_thousand_writes_coalesces_into_few_rebuilds(notes, tmp_path):
    ics = tmp_path / "feed.ics"
    proc = start_watch(notes, "--ics", str(ics))
    try:
        before = rebuilds(proc)
        folder = notes / "Pulled"
        folder.mkdir()
        for i in range(1000):
            (folder / f"P{i:04d}.md").write_text(
                f"---\ntype: person\nname: P{i:04d}\ncadence: 1w\n---\n", encoding="utf-8"
            )
        wait_until(contains(ics, "P0999"), what="the feed to include the last pulled note")
        wait_until(lambda: proc.err_lines("1002 notes"), what="a rebuild that saw every note")
        assert contains(ics, "P0000")()
        assert 1 <= rebuilds(proc) - before <= 5, proc.err
    finally:
        assert proc.stop() == 0


def test_unchanged_content_does_not_rewrite_outputs(notes, tmp_path):
    ics, txt = tmp_path / "feed.ics", tmp_path / "digest.txt"
    proc = start_watch(notes, "--ics", str(ics), "--digest", str(txt))
    try:
        stamps = (ics.stat().st_mtime_ns, txt.stat().st_mtime_ns)
        before = rebuilds(proc)
        bob = notes / "People" / "Bob.md"
        bob.write_bytes(bob.read_bytes())  # a save without a change
        wait_until(lambda: rebuilds(proc) > before, what="the rebuild after the save")
        assert "outputs unchanged" in proc.err_lines("rebuilt")[-1]
        assert (ics.stat().st_mtime_ns, txt.stat().st_mtime_ns) == stamps
    finally:
        assert proc.stop() == 0


def test_outputs_inside_the_vault_do_not_feed_back(notes):
    proc = start_watch(notes, "--ics", str(notes / "crm.ics"), "--digest", str(notes / "d.html"))
    try:
        save_atomically(notes / "People" / "Ada.md", person("Eve"))
        wait_until(contains(notes / "crm.ics", "Eve"), what="the feed inside the vault")
        # A feedback loop would rebuild forever; settle by asking for one more real change.
        count = rebuilds(proc)
        save_atomically(notes / "People" / "Ada.md", person("Fay"))
        wait_until(contains(notes / "crm.ics", "Fay"), what="the second change")
        wait_until(lambda: rebuilds(proc) >= count + 1, what="one more rebuild")
        assert rebuilds(proc) <= count + 2
    finally:
        assert proc.stop() == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_exit_cleanly(notes, tmp_path, sig):
    proc = start_watch(notes, "--ics", str(tmp_path / "f.ics"))
    assert proc.stop(sig) == 0
    assert not any("Traceback" in line for line in proc.err), proc.err


def test_needs_an_output_and_a_known_digest_extension(notes, crm, tmp_path):
    result = crm(notes, "watch")
    assert result.exit_code == 2
    assert "--ics" in result.output
    result = crm(notes, "watch", "--digest", str(tmp_path / "digest.pdf"))
    assert result.exit_code == 2
    assert ".html, .md or .txt" in result.output
    result = crm(notes, "watch", "--ics", str(tmp_path / "missing" / "f.ics"))
    assert result.exit_code == 2


# --- units -----------------------------------------------------------------------------


def test_digest_format_from_extension():
    assert digest_format(Path("a/Digest.HTML")) == "html"
    assert digest_format(Path("d.md")) == "md"
    assert digest_format(Path("d.txt")) == "txt"
    with pytest.raises(UsageError):
        digest_format(Path("d"))


def test_write_if_changed_is_atomic_and_keeps_mode(tmp_path):
    out = tmp_path / "feed.ics"
    assert write_if_changed(out, b"one") is True
    os.chmod(out, 0o640)
    inode = out.stat().st_ino
    assert write_if_changed(out, b"one") is False
    assert out.stat().st_ino == inode
    assert write_if_changed(out, b"two") is True
    assert out.read_bytes() == b"two"
    assert out.stat().st_ino != inode  # replaced by rename, never written in place
    assert out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.ics"]


def test_change_filter(tmp_path):
    root = tmp_path
    f = ChangeFilter(root, [root / "out.ics", root / "digest.md"])
    yes = ["People/Ada.md", "daily/2026-11-23.md", "crm.toml", ".crm/templates/digest.html.j2"]
    no = [
        "out.ics", "digest.md", ".crm/cache.db", ".crm/token", ".git/index",
        ".obsidian/workspace.json", "People/.Ada.md.swp", "People/Ada.md~", "People/4913",
        "People/photo.jpg", "People/#Ada.md#", "People/.~lock.Ada.md#", "sub/crm.toml",
    ]  # fmt: skip
    assert [p for p in yes if not f.relevant(str(root / p), False)] == []
    assert [p for p in no if f.relevant(str(root / p), False)] == []
    assert f.relevant(str(root / "People"), True)
    assert not f.relevant(str(root / ".git" / "objects"), True)
    assert not f.relevant("/elsewhere/Ada.md", False)


def test_watcher_ignores_reads_and_folder_mtimes_but_not_renames(tmp_path):
    watcher = Watcher(tmp_path, [Target("ics", tmp_path / "out.ics", "out.ics")], lambda: None)
    note = str(tmp_path / "Ada.md")
    for event in (
        FileOpenedEvent(note),
        FileClosedNoWriteEvent(note),
        DirModifiedEvent(str(tmp_path)),
        FileModifiedEvent(str(tmp_path / "out.ics")),
        FileMovedEvent(str(tmp_path / ".out.ics.x.tmp"), str(tmp_path / "out.ics")),
    ):
        watcher.on_event(event)
        assert not watcher.debouncer.wait(0), event
    watcher.on_event(FileMovedEvent(str(tmp_path / ".Ada.md.tmp"), note))
    assert watcher.debouncer.wait(1.0)
    watcher.on_event(FileCreatedEvent(note))
    assert watcher.debouncer.wait(1.0)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_debouncer_waits_for_quiet_but_not_forever():
    clock = FakeClock()
    d = Debouncer(quiet=0.3, max_wait=2.0, clock=clock)
    assert d.wait(0) is False
    d.poke()
    clock.now = 0.2
    d.poke()
    assert d.wait(0) is False  # 0.2 since the last poke: still settling
    clock.now = 0.5
    assert d.wait(0) is True
    assert d.wait(0) is False  # consumed
    for step in range(1, 30):  # a change every 0.1 s never goes quiet...
        clock.now = 1.0 + step * 0.1
        d.poke()
        if d.wait(0):
            break
    assert clock.now == pytest.approx(3.0, abs=0.11)  # ...but max_wait still lets it through


def test_debouncer_stop_wakes_a_waiter():
    d = Debouncer()
    timer = threading.Timer(0.1, d.stop)
    timer.start()
    assert d.wait(30) is False
    assert d.stopped


def test_rebuild_reports_and_writes_only_changes(notes, tmp_path):
    from datetime import date

    calls = []

    def render(kind, index, root, today, config, days):
        calls.append(kind)
        return f"{kind} {len(index.contacts)}".encode()

    targets = [
        Target("ics", tmp_path / "a.ics", "a.ics"),
        Target("md", tmp_path / "d.md", "d.md"),
    ]
    first = rebuild(notes, date(2026, 11, 23), targets, None, render)
    assert first.notes == 2 and [t.shown for t in first.written] == ["a.ics", "d.md"]
    assert first.reminders >= 2  # two birthdays on 2026-11-30
    second = rebuild(notes, date(2026, 11, 23), targets, None, render)
    assert second.written == ()
    assert "outputs unchanged" in second.log_line(__import__("datetime").datetime(2026, 1, 1))
    assert calls == ["ics", "md", "ics", "md"]


def test_a_broken_config_is_one_error_line_and_watching_goes_on(notes, tmp_path):
    ics = tmp_path / "feed.ics"
    proc = start_watch(notes, "--ics", str(ics))
    try:
        (notes / "crm.toml").write_text("ignore = [\n", encoding="utf-8")
        line = wait_until(lambda: proc.err_lines("crm: error:"), what="the config error")[0]
        assert "crm.toml" in line and "outputs kept" in line
        assert proc.proc.poll() is None
        assert contains(ics, "Ada")()
        (notes / "crm.toml").write_text("", encoding="utf-8")
        save_atomically(notes / "People" / "Ada.md", person("Ana"))
        wait_until(contains(ics, "Ana"), what="recovery after the config is fixed")
    finally:
        assert proc.stop() == 0
    assert not any("Traceback" in line for line in proc.err)


def test_a_broken_digest_template_keeps_the_feed_going(notes, tmp_path):
    ics, html = tmp_path / "feed.ics", tmp_path / "digest.html"
    proc = start_watch(notes, "--ics", str(ics), "--digest", str(html))
    try:
        good = html.read_bytes()
        templates = notes / ".crm" / "templates"
        templates.mkdir(parents=True)
        (templates / "digest.html.j2").write_text("{% if %}\n", encoding="utf-8")
        save_atomically(notes / "People" / "Ada.md", person("Abe"))
        wait_until(contains(ics, "Abe"), what="the feed despite the template")
        line = wait_until(lambda: proc.err_lines("template error"), what="the template error")
        assert "digest.html" in line[0] and "previous file kept" in line[0]
        assert html.read_bytes() == good
    finally:
        assert proc.stop() == 0


@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
def test_a_real_vim_save(notes, tmp_path):
    ics = tmp_path / "feed.ics"
    proc = start_watch(notes, "--ics", str(ics))
    try:
        ada = notes / "People" / "Ada.md"
        subprocess.run(
            ["vim", "-u", "NONE", "-i", "NONE", "-N", "-n", "-es",
             "-c", "set writebackup backupcopy=no", "-c", "%s/name: Ada/name: Vic/", "-c", "wq", str(ada)],
            check=True, timeout=30, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(contains(ics, "Vic"), what="the feed after vim's save")
        assert sorted(p.name for p in ada.parent.iterdir()) == ["Ada.md", "Bob.md"]
    finally:
        assert proc.stop() == 0


def test_poll_mode_follows_an_atomic_save(notes, tmp_path):
    ics = tmp_path / "feed.ics"
    proc = Crm("--vault", str(notes), "--today", TODAY, "watch", "--poll", "--ics", str(ics))
    try:
        wait_until(lambda: proc.err_lines("rebuilt"), what="the first build")
        save_atomically(notes / "People" / "Ada.md", person("Pia"))
        wait_until(contains(ics, "Pia"), what="the polling observer to see the save")
    finally:
        assert proc.stop() == 0


def test_a_vanished_vault_is_an_error_line_not_a_crash(tmp_path):
    from datetime import date

    root = tmp_path / "gone"
    root.mkdir()
    log = io.StringIO()
    watcher = Watcher(root, [Target("ics", tmp_path / "f.ics", "f.ics")], lambda: None, log=log)
    root.rmdir()
    watcher.rebuild_once(date(2026, 11, 23))
    assert log.getvalue().startswith("crm: error: cannot read the vault")
    assert watcher.rebuilds == 0


def test_docs_cover_every_watch_option(crm):
    import re

    docs = (Path(__file__).resolve().parents[1] / "docs" / "live.md").read_text(encoding="utf-8")
    options = set(re.findall(r"--[a-z][a-z-]+", crm(None, "watch", "--help").output)) - {
        "--help",
        "--vault",
        "--today",
        "--color",
    }
    assert options == {"--ics", "--digest", "--days", "--poll"}
    assert [o for o in options if o not in docs] == []


def test_a_failing_renderer_spoils_only_its_own_output(notes, tmp_path):
    from datetime import date

    def render(kind, index, root, today, config, days):
        if kind == "html":
            raise ValueError("boom")
        return b"feed"

    targets = [
        Target("html", tmp_path / "d.html", "d.html"),
        Target("ics", tmp_path / "f.ics", "f.ics"),
    ]
    result = rebuild(notes, date(2026, 11, 23), targets, None, render)
    assert [t.shown for t in result.written] == ["f.ics"]
    assert result.failed == ("d.html: internal error: ValueError: boom",)
    assert not (tmp_path / "d.html").exists()


def test_a_threaded_process_never_forks_a_parse_pool(monkeypatch):
    import threading

    from plaintextcrm import load

    monkeypatch.setenv("CRM_JOBS", "4")
    assert load._workers() == 4
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)  # what watch's observer or serve's handler is
    thread.start()
    try:
        assert load._workers() == 1
    finally:
        stop.set()
        thread.join()
