"""Files in the vault that try to run code or hang crm (issue 15, items 4 and 7).

Item 4: templates come from the vault (`.crm/templates/`, or the folder `templates_dir` in crm.toml
names), so a shared or synced vault can hold someone else's template. Each payload below
runs a shell command through Python internals when a template is rendered without a
sandbox; the proof that none runs is a marker file the command would create.

Item 7: a named pipe (FIFO) where crm expects a file (crm.toml, a cache, the token, a
template, a note) blocked `open()` forever. Commands run as subprocesses with a timeout,
so a hang fails the test instead of stopping the suite.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .helpers import assert_clean_exit

NOTES = {
    "People/Ann Lee.md": "---\nbirthday: 1986-11-30\n---\n- [ ] 2026-11-20 ask how the move went\n",
}


def payloads(marker: Path) -> list[str]:
    """Template sources that each create `marker` when rendered without a sandbox."""
    cmd = f"touch {marker}"
    return [
        f"{{{{ cycler.__init__.__globals__.os.popen('{cmd}').read() }}}}\n",
        f"{{{{ joiner.__init__.__globals__.os.system('{cmd}') }}}}\n",
        f"{{{{ lipsum.__globals__['__builtins__']['__import__']('os').system('{cmd}') }}}}\n",
        f"{{{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('{cmd}') }}}}\n",
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}"
        "{% if c.__name__ == 'catch_warnings' %}"
        f"{{{{ c.__init__.__globals__['__builtins__']['__import__']('os').system('{cmd}') }}}}"
        "{% endif %}{% endfor %}\n",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}\n",
        "{% set x = followups %}{{ x.append(1) }}{{ x.clear() }}\n",
    ]


PAYLOAD_IDS = ["cycler", "joiner", "lipsum", "self", "subclasses", "mro", "mutate"]


@pytest.mark.parametrize("index", range(len(PAYLOAD_IDS)), ids=PAYLOAD_IDS)
@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_item_04_a_hostile_override_template_runs_nothing_in_crm_digest(
    vault, crm, tmp_path, fmt, index
):
    marker = tmp_path / "PWNED"
    root = vault({**NOTES, f".crm/templates/digest.{fmt}.j2": payloads(marker)[index]})
    out = crm(root, "digest", "--format", fmt)
    assert_clean_exit(out, (1,))
    assert out.stdout == ""
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("crm: error: ") and f"digest.{fmt}.j2: template refused:" in last
    assert "unsafe" in last
    assert not marker.exists()


def test_item_04_a_folder_named_by_a_shared_crm_toml_runs_nothing(vault, crm, tmp_path):
    marker = tmp_path / "PWNED"
    root = vault({**NOTES, "Shared/tpl/digest.md.j2": payloads(marker)[0]})
    (root / "crm.toml").write_text('templates_dir = "Shared/tpl"\n', encoding="utf-8")
    out = crm(root, "digest")
    assert_clean_exit(out, (1,))
    assert "Shared/tpl/digest.md.j2: template refused" in out.stderr
    assert not marker.exists()


def test_item_04_a_hostile_person_template_runs_nothing_in_crm_new(vault, crm, tmp_path):
    marker = tmp_path / "PWNED"
    root = vault({**NOTES, ".crm/templates/person.md.j2": payloads(marker)[0]})
    out = crm(root, "new", "Bo Day")
    assert_clean_exit(out, (1,))
    assert "person.md.j2" in out.stderr and "unsafe" in out.stderr
    assert not marker.exists() and not (root / "People" / "Bo Day.md").exists()


@pytest.mark.parametrize(
    "where",
    ["../elsewhere", "{outside}", "inside-link"],
    ids=["dotdot", "absolute", "symlink-out"],
)
def test_item_04_templates_dir_outside_the_vault_is_refused(vault, crm, tmp_path, where):
    marker = tmp_path / "PWNED"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "digest.md.j2").write_text(payloads(marker)[0] + "from outside\n")
    root = vault(NOTES)
    (root / "inside-link").symlink_to(outside, target_is_directory=True)
    where = where.format(outside=outside)
    (root / "crm.toml").write_text(f'templates_dir = "{where}"\n', encoding="utf-8")
    for args in (("digest",), ("due",), ("new", "Bo Day")):
        out = crm(root, *args)
        assert_clean_exit(out, (1,))
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith("crm: error: crm.toml: `templates_dir` must be a folder inside")
        assert str(outside) in lines[0]
    assert not marker.exists()


def test_item_04_templates_dir_inside_the_vault_through_a_symlink_works(vault, crm):
    root = vault({**NOTES, "Templates/crm/digest.txt.j2": "{{ summary }}\n"})
    (root / "tpl").symlink_to(root / "Templates" / "crm", target_is_directory=True)
    (root / "crm.toml").write_text('templates_dir = "tpl"\n', encoding="utf-8")
    out = crm(root, "digest", "--format", "txt")
    assert out.exit_code == 0, out.stderr
    assert out.stdout == "1 follow-up (1 overdue), 1 birthday\n"


def test_item_04_crm_templates_leading_outside_the_vault_is_refused(vault, crm, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "digest.md.j2").write_text("from outside\n")
    root = vault(NOTES)
    (root / ".crm").mkdir(exist_ok=True)
    (root / ".crm" / "templates").symlink_to(outside, target_is_directory=True)
    out = crm(root, "digest")
    assert_clean_exit(out, (1,))
    assert "`.crm/templates` must be a folder inside the vault" in out.stderr
    assert "from outside" not in out.stdout


def test_item_04_a_template_file_linking_out_of_its_folder_is_refused(vault, crm, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the private key\n")
    root = vault(NOTES)
    (root / ".crm" / "templates").mkdir(parents=True)
    (root / ".crm" / "templates" / "digest.md.j2").symlink_to(secret)
    out = crm(root, "digest")
    assert_clean_exit(out, (1,))
    assert "template leads outside its folder" in out.stderr
    assert "private key" not in out.stdout


def test_item_04_shipped_templates_render_in_the_sandbox(vault, crm):
    root = vault(NOTES)
    for fmt in ("md", "html", "txt"):
        out = crm(root, "digest", "--format", fmt)
        assert out.exit_code == 0, out.stderr
        assert "Ann Lee" in out.stdout
    assert crm(root, "new", "Bo Day").exit_code == 0
    assert (root / "People" / "Bo Day.md").read_text().startswith("---\nname: Bo Day\n")


def _get(server, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=20)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_item_04_a_hostile_template_runs_nothing_in_crm_serve(vault, tmp_path):
    from live_support import wait_until
    from test_serve import Server

    marker = tmp_path / "PWNED"
    root = vault(NOTES)
    server = Server(root)
    try:
        assert _get(server, server.digest_path)[0] == 200
        templates = root / ".crm" / "templates"
        templates.mkdir(parents=True, exist_ok=True)
        for source in payloads(marker):
            (templates / "digest.html.j2").write_text(source, encoding="utf-8")
            # Seen within the server's stamp interval; then every request renders it again.
            wait_until(lambda: _get(server, server.digest_path)[0] == 500, what="a 500")
            for _ in range(3):
                assert _get(server, server.digest_path) == (500, b"Cannot build\n")
            assert not marker.exists()
        wait_until(lambda: server.proc.err_lines("template refused"), what="the error line")
        assert _get(server, server.ics_path)[0] == 200  # the feed is unaffected
        # A shared crm.toml pointing templates_dir outside the vault: refused too.
        outside = tmp_path / "elsewhere"
        outside.mkdir()
        (outside / "digest.html.j2").write_text(payloads(marker)[0])
        (templates / "digest.html.j2").unlink()
        (root / "crm.toml").write_text(f'templates_dir = "{outside}"\n', encoding="utf-8")
        wait_until(lambda: _get(server, server.digest_path)[0] == 500, what="a 500")
        wait_until(lambda: server.proc.err_lines("`templates_dir` must be"), what="the line")
        assert not marker.exists()
        (root / "crm.toml").write_text("", encoding="utf-8")
        wait_until(lambda: _get(server, server.digest_path)[0] == 200, what="the digest again")
        assert server.proc.proc.poll() is None
    finally:
        server.proc.kill()
    assert "Traceback" not in "\n".join(server.proc.err)
    assert not os.path.exists(marker)


# --- item 7: a FIFO (or a device) where crm expects a file never hangs it -----------------

#: How long any command may take here; each finishes in well under a second when it works.
PROMPT = 30


def run_crm(root: Path, *args: str, timeout: float = PROMPT) -> subprocess.CompletedProcess:
    """`crm --vault ROOT ARGS` as a subprocess, failing the test (not hanging it) if it
    does not finish within `timeout` seconds."""
    from live_support import REPO

    env = {k: v for k, v in os.environ.items() if k not in ("CRM_VAULT", "CRM_TODAY")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    argv = [sys.executable, "-m", "plaintextcrm", "--vault", str(root), "--today", "2026-11-23"]
    try:
        return subprocess.run(
            [*argv, *args], capture_output=True, text=True, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"crm {' '.join(args)} hung for {timeout} s")


def promptly(call, fifo: Path, timeout: float = PROMPT):
    """`call()` in a thread; if it has not returned within `timeout`, open `fifo` for
    writing (which frees a reader stuck on it) and fail the test."""
    result: dict[str, object] = {}

    def target() -> None:
        try:
            result["value"] = call()
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(5)
        pytest.fail(f"hung on the FIFO {fifo}")
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result.get("value")


def settled_vault(vault) -> Path:
    """A vault whose files are old enough for every cache layer to be used."""
    root = vault(NOTES)
    old = time.time() - 3600
    for path in root.rglob("*"):
        os.utime(path, (old, old))
    return root


def fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    os.mkfifo(path)
    return path


COMMANDS = [("check",), ("due", "--json"), ("list",), ("digest",), ("ics",), ("log", "Ann", "call")]


def test_item_07_a_fifo_named_crm_toml_is_a_one_line_error_for_every_command(vault):
    root = vault(NOTES)
    fifo(root / "crm.toml")
    for args in [*COMMANDS, ("init",)]:
        out = run_crm(root, *args)
        assert out.returncode == 1, (args, out.stdout)
        assert out.stderr.splitlines() == [
            f"crm: error: cannot read {root / 'crm.toml'}: it is a named pipe (FIFO),"
            " not a regular file"
        ], args
    assert stat.S_ISFIFO(os.lstat(root / "crm.toml").st_mode)
    assert (root / "People" / "Ann Lee.md").read_text() == NOTES["People/Ann Lee.md"]


@pytest.mark.parametrize(
    ("name", "args", "layers_above"),
    [
        ("parsed.cache", ("due", "--json"), ("output-due.cache", "index.cache")),
        ("index.cache", ("due", "--json"), ("output-due.cache",)),
        ("output-due.cache", ("due", "--json"), ()),
        ("output-digest.cache", ("digest",), ()),
        ("output-ics.cache", ("ics",), ()),
        ("ics-events.cache", ("ics",), ("output-ics.cache",)),
    ],
)
def test_item_07_a_fifo_in_place_of_a_cache_file_is_no_cache_and_replaced(
    vault, name, args, layers_above
):
    root = settled_vault(vault)
    expected = run_crm(root, *args)
    assert expected.returncode == 0, expected.stderr
    assert (root / ".crm" / name).is_file()  # this command does use that file
    for above in layers_above:  # a cache consulted first would answer without reading it
        (root / ".crm" / above).unlink()
    fifo(root / ".crm" / name)
    out = run_crm(root, *args)
    assert (out.returncode, out.stdout, out.stderr) == (0, expected.stdout, expected.stderr)
    # Never written through: the atomic writer put a regular file in its place.
    assert stat.S_ISREG(os.lstat(root / ".crm" / name).st_mode)
    again = run_crm(root, *args)
    assert (again.returncode, again.stdout) == (0, expected.stdout)


def test_item_07_a_fifo_named_token_gets_a_new_token_and_serve_starts(vault):
    from live_support import Crm, wait_until

    root = vault(NOTES)
    token = fifo(root / ".crm" / "token")
    proc = Crm("--vault", str(root), "--today", "2026-11-23", "serve", "--port", "0")
    try:
        lines = wait_until(
            lambda: [ln for ln in proc.out if ln.startswith("Calendar:")],
            timeout=PROMPT,
            what="crm serve to print its URLs (hung on the FIFO?)",
        )
        url = urlsplit(lines[0].split()[1])
        assert stat.S_ISREG(os.lstat(token).st_mode)
        assert oct(os.lstat(token).st_mode & 0o777) == "0o600"
        assert url.path == f"/{token.read_text().strip()}/crm.ics"
        assert proc.err_lines("did not hold a valid token; made a new one")
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
        try:
            conn.request("GET", url.path)
            assert conn.getresponse().status == 200
        finally:
            conn.close()
    finally:
        proc.kill()


def test_item_07_a_fifo_in_place_of_a_template_is_a_one_line_error(vault):
    root = vault(NOTES)
    template = fifo(root / ".crm" / "templates" / "digest.md.j2")
    out = run_crm(root, "digest")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.splitlines()[-1] == (
        f"crm: error: cannot read template {template}: it is a named pipe (FIFO),"
        " not a regular file"
    )
    assert run_crm(root, "digest", "--format", "txt").returncode == 0  # other formats work


@pytest.mark.parametrize(
    "rel", [".obsidian/templates.json", ".obsidian/daily-notes.json", "People/Bob.md"]
)
def test_item_07_a_fifo_in_place_of_a_setting_or_a_note_is_skipped(vault, rel):
    reference = run_crm(vault(NOTES), "due", "--json")
    root = vault(NOTES)
    fifo(root / rel)
    for args in COMMANDS:
        out = run_crm(root, *args)
        assert out.returncode == 0, (args, out.stderr)
    assert run_crm(root, "due", "--json").stdout == reference.stdout


def test_item_07_a_fifo_as_the_write_lock_does_not_stop_a_write(vault):
    root = vault(NOTES)
    fifo(root / ".crm" / "write.lock")
    out = run_crm(root, "log", "Ann", "called about the move")
    assert out.returncode == 0, out.stderr
    assert "- 2026-11-23 called about the move" in (root / "People" / "Ann Lee.md").read_text()


def test_item_07_a_fifo_as_the_output_file_is_refused_not_read_or_replaced(vault, tmp_path):
    root = vault(NOTES)
    out_fifo = fifo(tmp_path / "digest.html")
    out = run_crm(root, "digest", "--format", "html", "-o", str(out_fifo))
    assert out.returncode == 1
    assert out.stderr.splitlines()[-1] == (
        f"crm: error: cannot write {out_fifo}: it is a named pipe (FIFO), not a regular file"
    )
    assert stat.S_ISFIFO(os.lstat(out_fifo).st_mode)


def test_item_07_a_fifo_as_a_watch_output_is_one_failed_output_the_others_written(vault, tmp_path):
    from datetime import date

    from plaintextcrm.live.watch import Target, rebuild

    root = vault(NOTES)
    pipe = fifo(tmp_path / "digest.html")
    targets = [Target("html", pipe, "digest.html"), Target("ics", tmp_path / "crm.ics", "crm.ics")]
    done = promptly(lambda: rebuild(root, date(2026, 11, 23), targets, None), pipe)
    assert done.failed == ("digest.html: cannot write " + str(pipe) + ": it is a named pipe"
                           " (FIFO), not a regular file",)  # fmt: skip
    assert [t.shown for t in done.written] == ["crm.ics"]
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)


def test_item_07_a_note_swapped_for_a_fifo_after_the_listing_is_skipped(tmp_path):
    """The scanner lists only regular notes; a note replaced by a FIFO between the listing
    and the read (or the writer's read) is never waited on."""
    from plaintextcrm.config import Config
    from plaintextcrm.errors import WriteError
    from plaintextcrm.pool import read_parse
    from plaintextcrm.writefile import write_note

    note = fifo(tmp_path / "People" / "Ann.md")
    assert promptly(lambda: read_parse("People/Ann.md", note, Config()), note) is None
    with pytest.raises(WriteError, match="it is a named pipe"):
        promptly(lambda: write_note(note, lambda b: b + b"x\n", vault=tmp_path), note)


def test_item_07_read_regular_refuses_fifos_devices_and_folders(tmp_path):
    from plaintextcrm.readfile import NotRegularFile, read_regular

    pipe = fifo(tmp_path / "pipe")
    with pytest.raises(NotRegularFile, match="named pipe"):
        promptly(lambda: read_regular(pipe), pipe)
    if os.path.exists("/dev/zero"):  # never ends: must not be read at all
        with pytest.raises(NotRegularFile, match="character device"):
            read_regular("/dev/zero")
    with pytest.raises(IsADirectoryError):
        read_regular(tmp_path)
    (tmp_path / "file").write_bytes(b"ok")
    assert read_regular(tmp_path / "file") == b"ok"
