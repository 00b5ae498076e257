"""One vault, two machines, real git: `crm git-setup`, then `git pull` after both logged.

Every test builds a repository in `tmp_path` with real `git` and clones it twice (the
laptop and the desktop). The notes change through the CLI (`crm log`, `todo`, `done`,
`snooze`) and by hand as an editor saves them; then the laptop pulls what the desktop
pushed, and git runs the driver as it would for a user. git's identity and config come
from the environment: no user or system config is read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaintextcrm.cli import cli
from plaintextcrm.config import Config
from plaintextcrm.gitvault import driver_command, driver_problems, setup
from plaintextcrm.parse import parse_note

PROJECT = Path(__file__).resolve().parents[1]
NOTE = "People/Anna Rossi.md"
ANNA = """---
tags: [friend]
circle: close
---
# Anna

## Log
- 2026-09-12 lunch, she got the job at Acme
- 2026-10-01 coffee in Turin

## Follow-ups
- [ ] 2026-12-01 send her the book
- [ ] 2026-12-10 ask about the flat
"""


def git_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
        "GIT_CONFIG_GLOBAL": str(home / "gitconfig"),  # empty: no user config
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(home),
        "PYTHONPATH": str(PROJECT),  # the driver git runs imports this checkout
    }


@pytest.fixture
def git(tmp_path, monkeypatch):
    """Run git in a folder: `git(folder, *args)` → CompletedProcess (text)."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "gitconfig").write_text("")
    env = git_env(home)
    for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "HOME"):
        monkeypatch.setenv(key, env[key])  # for the git that crm itself runs

    def run(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["git", *args], cwd=folder, env=env, capture_output=True, text=True, check=False
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)}: {proc.stdout}{proc.stderr}")
        return proc

    return run


def crm(root: Path, *args: str, today: str = "2026-11-23"):
    result = CliRunner().invoke(cli, ["--vault", str(root), "--today", today, *args])
    assert result.exit_code == 0, result.output
    return result


def make_clones(tmp_path: Path, git, files: dict[str, str], *, driver: bool = True):
    """origin (bare), laptop and desktop, with `files` committed; with `driver`, the
    attribute committed and the driver set up in both clones, as `crm git-setup` does."""
    git(tmp_path, "init", "-q", "--bare", "-b", "main", "origin.git")
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "-q", "origin.git", "seed")
    (seed / "crm.toml").write_text("")
    for rel, text in files.items():
        (seed / rel).parent.mkdir(parents=True, exist_ok=True)
        (seed / rel).write_bytes(text.encode())
    if driver:
        crm(seed, "git-setup")
    git(seed, "add", "-A")
    git(seed, "commit", "-qm", "vault")
    git(seed, "push", "-q", "origin", "main")
    clones = []
    for name in ("laptop", "desktop"):
        git(tmp_path, "clone", "-q", "origin.git", name)
        if driver:
            crm(tmp_path / name, "git-setup")
        clones.append(tmp_path / name)
    return clones


def commit_and_push(git, clone: Path, message: str) -> None:
    git(clone, "add", "-A")
    git(clone, "commit", "-qm", message)
    git(clone, "push", "-q", "origin", "main")


def show(root: Path) -> dict:
    return json.loads(crm(root, "show", "Anna", "--json").output)


# --- the scenarios -----------------------------------------------------------------------


def both_machines_log(git, laptop: Path, desktop: Path) -> None:
    crm(desktop, "log", "Anna", "dinner at hers", "--date", "2026-11-20", "--got")
    crm(desktop, "done", "Anna", "book")
    commit_and_push(git, desktop, "desktop")
    crm(laptop, "log", "Anna", "call about the move", "--next", "2w")
    crm(laptop, "todo", "Anna", "lend her the climbing rope", "--due", "2026-12-12")
    crm(laptop, "snooze", "Anna", "1m")
    git(laptop, "add", "-A")
    git(laptop, "commit", "-qm", "laptop")


MERGED = """---
tags: [friend]
circle: close
snooze: 2026-12-23
---
# Anna

## Log
- 2026-09-12 lunch, she got the job at Acme
- 2026-10-01 coffee in Turin
- 2026-11-20 dinner at hers #got
- 2026-11-23 call about the move

## Follow-ups
- [x] 2026-12-01 send her the book
- [ ] 2026-12-10 ask about the flat
- [ ] 2026-12-07 follow up: call about the move
- [ ] 2026-12-12 lend her the climbing rope
"""


def test_without_the_driver_the_pull_stops_on_a_conflict(tmp_path, git):
    laptop, desktop = make_clones(tmp_path, git, {NOTE: ANNA}, driver=False)
    both_machines_log(git, laptop, desktop)
    pull = git(laptop, "pull", "--no-rebase", check=False)
    assert pull.returncode != 0
    assert f"CONFLICT (content): Merge conflict in {NOTE}" in pull.stdout
    assert "<<<<<<< HEAD" in (laptop / NOTE).read_text()


def test_with_the_driver_the_same_pull_merges_cleanly(tmp_path, git):
    laptop, desktop = make_clones(tmp_path, git, {NOTE: ANNA})
    both_machines_log(git, laptop, desktop)
    pull = git(laptop, "pull", "--no-rebase")
    assert "Merge made by" in pull.stdout
    assert f"crm: {NOTE}: resolved" in pull.stderr
    assert (laptop / NOTE).read_text() == MERGED
    assert git(laptop, "status", "--porcelain").stdout == ""
    anna = show(laptop)
    assert [i["text"] for i in anna["interactions"][:2]] == [
        "call about the move",
        "dinner at hers #got",
    ]
    assert {(t["text"], t["status"]) for t in anna["tasks"]} == {
        ("send her the book", "done"),
        ("ask about the flat", "open"),
        ("follow up: call about the move", "open"),
        ("lend her the climbing rope", "open"),
    }


def test_pull_with_rebase_merges_too(tmp_path, git):
    laptop, desktop = make_clones(tmp_path, git, {NOTE: ANNA})
    both_machines_log(git, laptop, desktop)
    git(laptop, "pull", "--rebase")
    assert (laptop / NOTE).read_text() == MERGED
    assert len(git(laptop, "log", "--oneline").stdout.splitlines()) == 3  # no merge commit


def test_hand_edits_as_an_editor_saves_them(tmp_path, git):
    """Obsidian on the desktop (a CRLF note: a tag typed into the list, a line typed at the
    end of the log, a task ticked with a click), crm on the laptop."""
    anna = ANNA.replace("\n", "\r\n")
    laptop, desktop = make_clones(tmp_path, git, {NOTE: anna})
    text = (desktop / NOTE).read_bytes().decode()
    text = text.replace("tags: [friend]", "tags: [friend, 'book club']")
    text = text.replace("in Turin\r\n", "in Turin\r\n- [[2026-11-21]] phoned, she sounded well\r\n")
    text = text.replace("- [ ] 2026-12-10 ask", "- [x] 2026-12-10 ask")
    (desktop / NOTE).write_bytes(text.encode())
    commit_and_push(git, desktop, "desktop")
    crm(laptop, "log", "Anna", "coffee again", "--date", "2026-11-22")
    crm(laptop, "todo", "Anna", "visit her", "--due", "2027-01-15")
    text = (
        (laptop / NOTE).read_bytes().decode().replace("tags: [friend]", "tags: [friend, climbing]")
    )
    (laptop / NOTE).write_bytes(text.encode())
    git(laptop, "commit", "-qam", "laptop")
    git(laptop, "pull", "--no-rebase")
    assert (laptop / NOTE).read_bytes() == ANNA.replace(
        "tags: [friend]", "tags: [friend, climbing, 'book club']"
    ).replace(
        "in Turin\n",
        "in Turin\n- [[2026-11-21]] phoned, she sounded well\n- 2026-11-22 coffee again\n",
    ).replace("- [ ] 2026-12-10 ask about the flat\n", "- [x] 2026-12-10 ask about the flat\n"
              "- [ ] 2027-01-15 visit her\n").replace("\n", "\r\n").encode()  # fmt: skip


def test_a_real_conflict_is_git_s_standard_conflict(tmp_path, git):
    """The circle changed differently on each machine: git reports the conflict as usual,
    only that hunk is marked, and the log lines around it are already merged."""
    laptop, desktop = make_clones(tmp_path, git, {NOTE: ANNA})
    crm(desktop, "log", "Anna", "dinner at hers", "--date", "2026-11-20")
    (desktop / NOTE).write_text(
        (desktop / NOTE).read_text().replace("circle: close", "circle: inner")
    )
    commit_and_push(git, desktop, "desktop")
    crm(laptop, "log", "Anna", "call about the move")
    (laptop / NOTE).write_text(
        (laptop / NOTE).read_text().replace("circle: close", "circle: outer")
    )
    git(laptop, "commit", "-qam", "laptop")
    pull = git(laptop, "pull", "--no-rebase", check=False)
    assert pull.returncode == 1
    assert f"CONFLICT (content): Merge conflict in {NOTE}" in pull.stdout
    assert git(laptop, "diff", "--name-only", "--diff-filter=U").stdout == f"{NOTE}\n"
    text = (laptop / NOTE).read_text()
    assert "<<<<<<< ours\ncircle: outer\n=======\ncircle: inner\n>>>>>>> theirs\n" in text
    assert "- 2026-11-20 dinner at hers\n- 2026-11-23 call about the move\n" in text
    assert text.count("<<<<<<<") == 1
    # resolved by hand as any git conflict: keep one, commit
    (laptop / NOTE).write_text(
        text.replace(
            "<<<<<<< ours\ncircle: outer\n=======\ncircle: inner\n>>>>>>> theirs\n",
            "circle: inner\n",
        )
    )
    git(laptop, "commit", "-qam", "merged")
    assert show(laptop)["circle"] == "inner"


# --- git-setup and check ------------------------------------------------------------------


def test_git_setup_says_what_it_did_and_is_idempotent(tmp_path, git):
    vault = tmp_path / "vault"
    vault.mkdir()
    git(vault, "init", "-q")
    (vault / "crm.toml").write_text("")
    (vault / ".gitattributes").write_bytes(b"*.png binary\r\n")
    first = crm(vault, "git-setup").output
    command = driver_command(sys.executable)
    assert first.splitlines() == [
        "Added `*.md merge=crm` to .gitattributes.",
        "Commit .gitattributes, so that every clone merges notes this way: git add"
        ' .gitattributes && git commit -m "Merge notes with crm"',
        f"Set merge.crm.driver in this clone's .git/config: {command}",
        "Run `crm git-setup` once in every other clone too: git never shares it.",
    ]
    assert (vault / ".gitattributes").read_bytes() == b"*.png binary\r\n*.md merge=crm\r\n"
    assert git(vault, "config", "--local", "merge.crm.driver").stdout == command + "\n"
    assert (
        git(vault, "check-attr", "merge", "--", "People/x.md").stdout == "People/x.md: merge: crm\n"
    )
    git(vault, "add", ".gitattributes")
    git(vault, "commit", "-qm", "attributes")
    second = crm(vault, "git-setup").output
    assert second.splitlines() == [
        "Notes already merge with `merge=crm` (.gitattributes).",
        f"This clone already runs the driver: merge.crm.driver = {command}",
    ]
    assert (vault / ".gitattributes").read_bytes() == b"*.png binary\r\n*.md merge=crm\r\n"


def test_git_setup_outside_a_repository_says_how(tmp_path, git):
    (tmp_path / "crm.toml").write_text("")
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "git-setup"])
    assert result.exit_code == 1
    assert "is not in a git repository; run `git init` there" in result.stderr
    assert not (tmp_path / ".gitattributes").exists()


def test_the_driver_runs_from_an_interpreter_path_with_spaces_and_quotes(tmp_path, git):
    """git runs the driver through sh: the interpreter's path must survive it."""
    odd = tmp_path / "my tools" / "it's here"
    odd.mkdir(parents=True)
    (odd / "python").symlink_to(sys.executable)
    laptop, desktop = make_clones(tmp_path, git, {NOTE: ANNA})
    setup(laptop, str(odd / "python"))
    crm(desktop, "log", "Anna", "dinner at hers", "--date", "2026-11-20")
    commit_and_push(git, desktop, "desktop")
    crm(laptop, "log", "Anna", "call about the move")
    git(laptop, "commit", "-qam", "laptop")
    git(laptop, "pull", "--no-rebase")
    assert (
        "- 2026-11-20 dinner at hers\n- 2026-11-23 call about the move\n"
        in (laptop / NOTE).read_text()
    )


def test_check_warns_when_this_clone_lacks_the_driver(tmp_path, git):
    laptop, _ = make_clones(tmp_path, git, {NOTE: ANNA})
    assert driver_problems(laptop) == ()
    git(laptop, "config", "--local", "--unset", "merge.crm.driver")
    (problem,) = driver_problems(laptop)
    assert problem.level == "warning" and problem.path == ".gitattributes"
    assert "this clone has no merge.crm.driver" in problem.message
    assert "run `crm git-setup`" in problem.message
    gone = driver_command("/gone/python3")  # names this checkout in $PYTHONPATH first
    assert gone.startswith("PYTHONPATH=") and " /gone/python3 -m plaintextcrm merge-driver" in gone
    git(laptop, "config", "--local", "merge.crm.driver", gone)
    (problem,) = driver_problems(laptop)
    assert "runs /gone/python3, which no longer exists" in problem.message
    crm(laptop, "git-setup")
    assert driver_problems(laptop) == ()


def test_check_says_nothing_without_the_attribute_or_outside_git(tmp_path, git):
    (tmp_path / "plain").mkdir()
    assert driver_problems(tmp_path / "plain") == ()
    laptop, _ = make_clones(tmp_path, git, {NOTE: ANNA}, driver=False)
    assert driver_problems(laptop) == ()


# --- any pair of crm edits merges -----------------------------------------------------------

BASES = {
    "oldest first, follow-ups section": ANNA,
    "newest first, tasks in the log": """---
tags: [friend]
---
## Log
- [ ] 2026-12-01 send her the book
- [ ] 2026-12-10 ask about the flat
- 2026-10-01 coffee in Turin
- 2026-09-12 lunch, she got the job at Acme
""",
    "no log yet": "---\ntags: [friend]\n---\n# Anna\nMet at the climbing gym.\n",
    "CRLF": ANNA.replace("\n", "\r\n"),
}
TEXTS = ["coffee", "call about the move", "dinner at hers", "lent her a book", "ask about Turin"]
TASKS = ["book", "flat"]
DAYS = [date(2026, 11, 20), date(2026, 11, 23)]

log_op = st.tuples(
    st.just("log"),
    st.sampled_from(TEXTS),
    st.dates(date(2026, 9, 1), date(2026, 12, 31)),
    st.sampled_from(["", "1w", "2w"]),
)
todo_op = st.tuples(st.just("todo"), st.sampled_from(TEXTS), st.integers(1, 40))
done_op = st.tuples(st.just("done"), st.sampled_from(TASKS))
edits = st.lists(st.one_of(log_op, todo_op, done_op), min_size=1, max_size=4)


def apply(root: Path, ops, today: date, snooze: date | None) -> None:
    runner = CliRunner()
    for op in ops:
        args = ["--vault", str(root), "--today", today.isoformat()]
        if op[0] == "log":
            _, text, day, follow = op
            args += ["log", "Anna", text, "--date", day.isoformat()]
            args += ["--next", follow] if follow else []
        elif op[0] == "todo":
            args += ["todo", "Anna", f"ask: {op[1]}", "--due", f"{op[2]}d"]
        else:
            args += ["done", "Anna", op[1]]
        result = runner.invoke(cli, args)
        # `done` on a task the other op already ticked (or a note without it) is a no-op
        assert result.exit_code == 0 or op[0] == "done", result.output
    if snooze is not None:
        assert (
            runner.invoke(
                cli, ["--vault", str(root), "snooze", "Anna", snooze.isoformat()]
            ).exit_code
            == 0
        )


def reading(data: bytes):
    note = parse_note(NOTE, data, Config())
    interactions = {(i.date, i.text) for i in note.items}
    tasks = {(t.status, t.due, t.text) for t in note.tasks}
    return interactions, tasks, note.fields.snooze if note.fields else None


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    base=st.sampled_from(sorted(BASES)),
    ours=edits,
    theirs=edits,
    days=st.tuples(st.sampled_from(DAYS), st.sampled_from(DAYS)),
    snooze=st.sampled_from([None, "ours", "theirs", "both"]),
)
def test_any_two_sides_of_crm_edits_merge(tmp_path_factory, git, base, ours, theirs, days, snooze):
    """Random crm edits on each side (a snooze on one side, or the same on both): git pull
    always merges, no line either side wrote is lost, and the note reads as the union of
    both sides' interactions and tasks (a task of the base ticked on either side is done,
    and no longer open)."""
    tmp = tmp_path_factory.mktemp("sync")
    laptop = tmp / "laptop"
    laptop.mkdir()
    git(laptop, "init", "-q", "-b", "main")
    for rel, text in {"crm.toml": "", NOTE: BASES[base]}.items():
        (laptop / rel).parent.mkdir(parents=True, exist_ok=True)
        (laptop / rel).write_bytes(text.encode())
    crm(laptop, "git-setup")
    git(laptop, "add", "-A")
    git(laptop, "commit", "-qm", "base")
    git(tmp, "clone", "-q", "laptop", "desktop")
    desktop = tmp / "desktop"
    crm(desktop, "git-setup")
    until = days[0] + timedelta(days=30)
    apply(laptop, ours, days[0], until if snooze in ("ours", "both") else None)
    apply(desktop, theirs, days[1], until if snooze in ("theirs", "both") else None)
    revs = [git(laptop, "rev-parse", "HEAD").stdout.strip()]
    for clone in (laptop, desktop):
        git(clone, "add", "-A")
        git(clone, "commit", "-qm", f"edits on {clone.name}", "--allow-empty")
        revs.append(git(clone, "rev-parse", "HEAD").stdout.strip())
    pull = git(laptop, "pull", "--no-rebase", "-q", str(desktop), "main", check=False)
    assert pull.returncode == 0, pull.stdout + pull.stderr
    versions = [
        subprocess.run(
            ["git", "show", f"{rev}:{NOTE}"], cwd=laptop, capture_output=True, check=True
        ).stdout
        for rev in revs
    ]
    merged = (laptop / NOTE).read_bytes()
    if b"\r\n" in versions[0]:
        assert merged.count(b"\n") == merged.count(b"\r\n")  # CRLF stays CRLF
    base_lines, ours_lines, theirs_lines = (Counter(v.splitlines()) for v in versions)
    merged_lines = Counter(merged.splitlines())
    for side, other in ((ours_lines, theirs_lines), (theirs_lines, ours_lines)):
        assert not (side - base_lines) - merged_lines  # what each side wrote is there
        kept = {line for line in base_lines if line in side and line in other}
        assert kept <= set(merged_lines)  # and what neither side changed
    (_, b_tasks, _), (o_items, o_tasks, o_snooze), (t_items, t_tasks, t_snooze) = map(
        reading, versions
    )
    items, tasks, snoozed = reading(merged)
    assert items == o_items | t_items
    ticked = {task for task in b_tasks if task[0] == "open" and task not in o_tasks & t_tasks}
    assert tasks == (o_tasks | t_tasks) - ticked
    assert snoozed == (o_snooze or t_snooze)
