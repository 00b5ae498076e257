"""The floors `crm` is measured against, each run as its own process like `crm` is.

    python floors.py stat VAULT        walk the vault and stat every file
    python floors.py read VAULT        walk the vault and read every file
    python floors.py frontmatter VAULT the naive loop: python-frontmatter on every note

Kept deliberately plain: a floor is what any tool must pay, not a competitor to tune.
"""

from __future__ import annotations

import contextlib
import os
import sys


def walk(root: str):
    stack = [root]
    while stack:
        folder = stack.pop()
        for entry in os.scandir(folder):
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                stack.append(entry.path)
            else:
                yield entry


def main() -> None:
    mode, root = sys.argv[1], sys.argv[2]
    count = 0
    if mode == "stat":
        for entry in walk(root):
            entry.stat()
            count += 1
    elif mode == "read":
        for entry in walk(root):
            with open(entry.path, "rb") as f:
                count += len(f.read())
    elif mode == "frontmatter":
        import frontmatter

        for entry in walk(root):
            if entry.name.endswith(".md"):
                with contextlib.suppress(Exception):  # a broken note: the loop skips it
                    count += len(frontmatter.load(entry.path).metadata)
    else:
        sys.exit(f"unknown mode {mode}")
    print(count)


if __name__ == "__main__":
    main()
