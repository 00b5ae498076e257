"""Outputs written out as they are made (`crm list --json`, `crm ics`): the same bytes as
whole outputs, the memo (`cache.Memo.stream`) replays them piece by piece, and no
failure leaves a partial output in the cache."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TODAY, write_vault
from hypothesis import given, settings
from hypothesis import strategies as st

from plaintextcrm import cache
from plaintextcrm.cli import cli
from plaintextcrm.config import load_config
from plaintextcrm.load import load_index
from plaintextcrm.render import jsonout
from plaintextcrm.render.ics import render_ics

STAMP = b"test stamp"
VAULT = ("vault state",)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(json_values, max_size=8), st.integers(1, 3))
def test_a_streamed_array_is_the_whole_dump(items, chunk):
    saved, jsonout.CHUNK_ITEMS = jsonout.CHUNK_ITEMS, chunk
    try:
        assert "".join(jsonout.dumps_array(iter(items))) == jsonout.dumps(items)
    finally:
        jsonout.CHUNK_ITEMS = saved


def memo(state: Path, day: date = TODAY) -> cache.Memo:
    return cache.Memo(state, VAULT, day, STAMP)


def test_the_memo_replays_what_it_streamed_without_producing_again(tmp_path):
    made: list[str] = []

    def produce():
        made.append("run")
        return (1, 2, 3), iter(["[\n", "  1", "\n]"])

    first: list[str] = []
    assert memo(tmp_path).stream("x", ("x", 1), produce, first.append) == (1, 2, 3)
    again: list[str] = []
    assert memo(tmp_path).stream("x", ("x", 1), produce, again.append) == (1, 2, 3)
    assert first == again == ["[\n", "  1", "\n]"] and made == ["run"]
    other: list[str] = []  # another key or another day: made again, and replaces the file
    memo(tmp_path).stream("x", ("x", 2), produce, other.append)
    memo(tmp_path, date(2027, 1, 1)).stream("x", ("x", 2), produce, other.append)
    assert made == ["run"] * 3
    assert sorted(os.listdir(tmp_path)) == ["output-x.cache"]


@pytest.mark.parametrize("where", ["produce", "emit"])
def test_a_failure_midway_is_raised_and_leaves_no_file(tmp_path, where):
    def pieces():
        yield "a"
        if where == "produce":
            raise ValueError("a renderer bug")
        yield "b"

    seen: list[str] = []

    def emit(piece: str) -> None:
        if where == "emit" and piece == "b":
            raise BrokenPipeError("reader went away")
        seen.append(piece)

    with pytest.raises(ValueError if where == "produce" else BrokenPipeError):
        memo(tmp_path).stream("x", ("x",), lambda: (None, pieces()), emit)
    assert seen == ["a"]
    assert os.listdir(tmp_path) == []  # neither the memo nor a temporary file


def test_a_cache_that_cannot_be_written_still_gives_every_piece(tmp_path):
    out: list[str] = []
    missing = tmp_path / "not a folder"
    memo(missing).stream("x", ("x",), lambda: (None, iter("abc")), out.append)
    assert out == ["a", "b", "c"]


def test_a_damaged_streamed_memo_is_made_again(tmp_path):
    memo(tmp_path).stream("x", ("x",), lambda: (None, iter("abc")), lambda _: None)
    path = tmp_path / "output-x.cache"
    data = path.read_bytes()
    path.write_bytes(data[:-8] + bytes([data[-8] ^ 1]) + data[-7:])
    assert cache.open_frames(tmp_path, "output-x.cache", STAMP) is None
    out: list[str] = []
    memo(tmp_path).stream("x", ("x",), lambda: (None, iter("xyz")), out.append)
    assert out == ["x", "y", "z"]


def test_list_json_and_ics_print_the_whole_outputs_and_replay_them(tmp_path):
    notes = {
        f"People/Person {i:03d}.md": f"---\nbirthday: 1990-12-{i % 28 + 1:02d}\ncadence: 2w\n---\n"
        f"- 2026-11-{i % 20 + 1:02d} coffee\n- [ ] 2026-11-{i % 27 + 1:02d} call back\n"
        for i in range(1200)
    }  # more than one piece of each
    root = write_vault(tmp_path, {"crm.toml": "", **notes})
    old = 1_700_000_000
    for path in root.rglob("*.md"):
        os.utime(path, (old, old))
    config = load_config(root)
    index = load_index(root, TODAY, config, use_cache=False)
    runner = CliRunner()
    args = ["--vault", str(root), "--today", TODAY.isoformat()]
    for _ in range(2):  # made, then replayed from `.crm/`
        listed = runner.invoke(cli, [*args, "list", "--json"])
        assert listed.exit_code == 0
        rows = json.loads(listed.stdout)
        assert len(rows) == 1200 and rows[0]["name"] == "Person 000"
        feed = runner.invoke(cli, [*args, "ics"])
        assert feed.exit_code == 0 and feed.stdout_bytes == render_ics(index, TODAY, config)
    assert (root / ".crm" / "output-listjson.cache").is_file()
    assert (root / ".crm" / "output-ics.cache").is_file()
