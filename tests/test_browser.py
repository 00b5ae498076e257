"""The HTML digest in a real browser (headless Chromium): what a reader actually gets.

Chromium renders the page and we read back the DOM it built, plus a probe that reports
what only a browser knows: whether any resource was fetched, whether the page is wider
than a phone's screen, which colours dark mode gives. Skipped only when Chromium is
missing on a developer's machine; in CI (env CI set) it must run.

The pictures in docs/ (digest-{phone,desktop}-{light,dark}.png) come from
`python3 docs/screenshots.py`; the last test takes one the same way and checks it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import TODAY

from plaintextcrm.config import load_config
from plaintextcrm.load import load_index
from plaintextcrm.render.digest import build_digest, render_digest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Chromium: apt-get install -y --no-install-recommends chromium")
    pytest.skip("chromium is not installed", allow_module_level=True)

PAYLOAD = (
    '<img src=x onerror="document.body.dataset.pwned=1">'
    "<script>document.body.dataset.pwned=2</script>"
)
NOTES = {
    "People/Ann Lee.md": (
        "---\nbirthday: 1986-11-30\ncadence: 2w\nphone: '+39 333 123 4567'\n"
        "email: ann@example.org\n---\n"
        "- 2026-11-01 talked about her move to Lisbon\n"
        "- [ ] 2026-11-20 ask how the move went\n"
    ),
    "People/Old Friend.md": "---\nemail: old@example.org\n---\n- [ ] 2025-01-10 return the tent\n",
    "People/Evil.md": f"---\nname: 'Eve {PAYLOAD}'\ncadence: 1w\n---\n- 2026-11-01 said {PAYLOAD}\n",
    "People/Dan Roe.md": "---\ncircle: outer\n---\n- 2026-11-20 sent me a book #got\n",
}

# Reported by the page itself once it has been laid out; our built-in template has no
# script, so this is the only one, and only in the copy the browser test loads.
PROBE = """<script id="probe">
(() => {
  const body = document.body;
  const resources = performance.getEntriesByType("resource").map(e => e.name);
  body.setAttribute("data-probe", JSON.stringify({
    dark: matchMedia("(prefers-color-scheme: dark)").matches,
    background: getComputedStyle(body).backgroundColor,
    color: getComputedStyle(body).color,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    scripts: document.scripts.length,
    resources: resources,
    text: body.innerText,
    sections: [...document.querySelectorAll("section")].map(s => s.id),
    headings: [...document.querySelectorAll("h2")].map(h => h.firstChild.textContent.trim()),
    charts: [...document.querySelectorAll("svg.chart")].map(c => {
      const box = c.getBoundingClientRect();
      return {cls: c.getAttribute("class"), width: box.width, height: box.height,
              shapes: c.querySelectorAll("rect, circle").length};
    }),
    links: [...document.querySelectorAll("a.act")].map(a => a.getAttribute("href")),
    dot: (() => { const d = document.querySelector("svg.strip circle");
                  return d ? getComputedStyle(d).fill : null; })(),
  }));
})();
</script>"""


def chromium(*args: str, user_data: Path) -> subprocess.CompletedProcess[str]:
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--hide-scrollbars", f"--user-data-dir={user_data}", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def render_html(root: Path) -> str:
    config = load_config(root)
    digest = build_digest(load_index(root, TODAY, config), TODAY, 14, config)
    return render_digest(digest, "html")


def probe(page: str, tmp_path: Path, *flags: str, width: int = 390) -> tuple[str, dict]:
    """Load `page` with the probe appended, in a window `width` pixels wide (a phone's by
    default); returns the DOM and what the probe saw."""
    assert "<script" not in page.lower()
    target = tmp_path / "digest.html"
    target.write_text(page.replace("</body>", PROBE + "\n</body>"), encoding="utf-8")
    dom = chromium(
        f"--window-size={width},1200", *flags, "--dump-dom", target.as_uri(),
        user_data=tmp_path / "profile",
    ).stdout  # fmt: skip
    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, dom[:2000]
    return dom, json.loads(html.unescape(found[1]))


def test_a_reader_sees_every_section_and_no_injected_markup(vault, tmp_path):
    page = render_html(vault(NOTES))
    dom, seen = probe(page, tmp_path)
    assert 'id="problems"' not in page  # a clean vault: no problems section
    assert seen["sections"] == [
        "coming", "followups", "occasions", "reconnect", "long-overdue", "give-first",
        "activity", "network",
    ]  # fmt: skip
    assert seen["headings"] == [
        "Next 14 days", "Follow-ups", "Birthdays and dates", "Reconnect", "Long overdue",
        "Give first", "Recent activity", "Your network",
    ]  # fmt: skip
    text = seen["text"]
    for words in ("Ann Lee", "ask how the move went", "turns 40", "Dan Roe", "sent me a book",
                  "talked about her move to Lisbon", "return the tent",
                  "Most overdue for their own rhythm first"):  # fmt: skip
        assert words in text, words
    # Below the day's: the task 682 days late comes after the reconnects.
    assert (
        text.index("Most overdue for their own rhythm")
        < text.index("Overdue by more than 1 month")
        < text.index("return the tent")
    )
    # One tap to reach them.
    assert seen["links"] == [
        "tel:+393331234567", "sms:+393331234567", "mailto:ann@example.org",  # follow-up
        "tel:+393331234567", "sms:+393331234567", "mailto:ann@example.org",  # birthday
        "tel:+393331234567", "sms:+393331234567", "mailto:ann@example.org",  # reconnect
        "mailto:old@example.org",  # long overdue
    ]  # fmt: skip
    # The charts are drawn, inside the phone's width, each with its shapes.
    charts = {c["cls"]: c for c in seen["charts"]}
    assert set(charts) == {"chart strip", "chart months", "chart circles"}
    for chart in charts.values():
        assert 0 < chart["width"] <= seen["innerWidth"] and chart["height"] > 20, chart
        assert chart["shapes"] > 0, chart
    # The hostile name and note text are shown as the characters they are, and never run.
    assert f"Eve {PAYLOAD}" in text
    assert f"said {PAYLOAD}" in text
    assert "data-pwned" not in dom
    assert seen["scripts"] == 1  # the probe only
    assert "<img" not in dom


def test_nothing_is_fetched_from_anywhere(tmp_path):
    example = REPO / "example-vault"
    if not example.is_dir():
        pytest.skip("example-vault missing")
    page = render_html(example)
    dom, seen = probe(page, tmp_path)
    assert seen["resources"] == []
    for attr in re.findall(
        r"""\b(?:src|href|srcset|action|background)\s*=\s*["']?([^"'\s>]+)""", dom
    ):
        assert not re.match(r"(?i)(https?:|//|ftp:)", attr), attr
    assert not re.search(r"(?i)url\(|@import", dom)


def test_fits_a_phone_screen_and_follows_dark_mode(tmp_path):
    example = REPO / "example-vault"
    if not example.is_dir():
        pytest.skip("example-vault missing")
    page = render_html(example)
    for width in (320, 390, 1280):
        _, light = probe(page, tmp_path, width=width)
        assert light["scrollWidth"] <= light["innerWidth"], light  # no sideways scrolling
        assert all(c["width"] <= light["innerWidth"] for c in light["charts"])
    _, light = probe(page, tmp_path)
    _, dark = probe(page, tmp_path, "--force-dark-mode")
    assert not light["dark"] and dark["dark"]
    assert light["background"] != dark["background"]
    assert _luminance(light["background"]) > 0.7 > 0.2 > _luminance(dark["background"])
    assert _luminance(dark["color"]) > 0.7  # light text on the dark background
    # The charts follow: a dot on the strip is brighter on the dark page.
    assert light["dot"] and dark["dot"] and light["dot"] != dark["dot"]
    assert _luminance(dark["dot"]) > _luminance(light["dot"])


def _luminance(css_rgb: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", css_rgb)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_screenshots_in_the_docs(tmp_path):
    """docs/screenshots.py takes the pictures docs/digest.md shows: one taken here the same
    way is a whole phone-width page, and every picture it names is in docs/."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("screenshots", REPO / "docs" / "screenshots.py")
    assert spec and spec.loader
    screenshots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshots)
    page = tmp_path / "digest.html"
    page.write_text(screenshots.digest_html(), encoding="utf-8")
    shot = tmp_path / "phone.png"
    screenshots.shoot(page, shot, "phone", False, tmp_path)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == 390 and height > 2000  # the whole page, charts at the bottom included
    assert len(data) > 100_000  # a rendered page, not a blank one
    doc = (REPO / "docs" / "digest.md").read_text(encoding="utf-8")
    for name in screenshots.picture_names():
        picture = REPO / "docs" / name
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert name in doc, name
        size = "phone" if "phone" in name else "desktop"
        assert int.from_bytes(picture.read_bytes()[16:20], "big") == screenshots.WIDTHS[size]
