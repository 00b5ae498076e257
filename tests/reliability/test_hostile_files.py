"""Files in the vault that try to run code or hang crm (issue 15, items 4 and 7).

Templates come from the vault (`.crm/templates/`, or the folder `templates_dir` in crm.toml
names), so a shared or synced vault can hold someone else's template. Each payload below
runs a shell command through Python internals when a template is rendered without a
sandbox; the proof that none runs is a marker file the command would create.
"""

from __future__ import annotations

import http.client
import os
from pathlib import Path

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
