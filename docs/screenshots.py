"""Make the digest pictures in docs/: the example vault's HTML digest on 2026-12-01, at a
phone's width (390 px, the whole page) and a desktop's (1280x1000, the first screen),
light and dark.

    python3 docs/screenshots.py            # writes docs/digest-{phone,desktop}-{light,dark}.png
    python3 docs/screenshots.py --check    # writes nothing; fails if a picture is missing

Headless Chromium renders the page twice: once to measure how tall it is (a small script
added to a copy of the page reports `scrollHeight`; the digest itself has no script),
then to take the picture at that height. Dark mode is Chromium's `--force-dark-mode`,
which sets `prefers-color-scheme: dark` as a phone in dark mode does.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from plaintextcrm.config import load_config  # noqa: E402
from plaintextcrm.load import load_index  # noqa: E402
from plaintextcrm.render.digest import build_digest, render_digest  # noqa: E402

DAY = date(2026, 12, 1)
WIDTHS = {"phone": 390, "desktop": 1280}
#: A desktop picture is what a laptop's window shows first; a phone's is the whole page.
HEIGHTS = {"desktop": 1000}
MEASURE = (
    "<script>document.addEventListener('DOMContentLoaded', () =>"
    " document.body.setAttribute('data-height', document.documentElement.scrollHeight));"
    "</script>"
)


def picture_names() -> list[str]:
    return [f"digest-{size}-{mode}.png" for size in WIDTHS for mode in ("light", "dark")]


def digest_html() -> str:
    root = REPO / "example-vault"
    config = load_config(root)
    index = load_index(root, DAY, config, use_cache=False)
    return render_digest(build_digest(index, DAY, config.digest_days, config), "html")


def chromium(profile: Path, *args: str) -> str:
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    command = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--disable-background-networking", "--no-first-run", f"--user-data-dir={profile}",
        *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


def page_height(page: Path, width: int, flags: list[str], work: Path) -> int:
    probe = work / "measure.html"
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8"
    )
    dom = chromium(
        work / "profile", *flags, f"--window-size={width},800", "--dump-dom", probe.as_uri()
    )
    return int(re.search(r'data-height="(\d+)"', dom)[1])  # type: ignore[index]


def shoot(page: Path, out: Path, size: str, dark: bool, work: Path) -> None:
    flags = ["--force-dark-mode"] if dark else []
    width = WIDTHS[size]
    height = HEIGHTS.get(size) or page_height(page, width, flags, work)
    chromium(
        work / "profile", *flags, f"--window-size={width},{height}", f"--screenshot={out}",
        page.as_uri(),
    )  # fmt: skip
    print(f"{out.name}: {width}x{height}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the pictures exist")
    args = parser.parse_args()
    if args.check:
        missing = [n for n in picture_names() if not (REPO / "docs" / n).is_file()]
        print("missing: " + ", ".join(missing) if missing else "all pictures present")
        return 1 if missing else 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        page = work / "digest.html"
        page.write_text(digest_html(), encoding="utf-8")
        for size in WIDTHS:
            for mode in ("light", "dark"):
                out = REPO / "docs" / f"digest-{size}-{mode}.png"
                shoot(page, out, size, mode == "dark", work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
