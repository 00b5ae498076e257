"""Errors a user can act on.

Every failure that reaches the command line is a `CrmError`: one line of text and the exit
code (1: a problem the user must fix, 2: usage or ambiguity). The CLI
catches them once, at its boundary, so no traceback ever reaches a user.
"""

from __future__ import annotations


class CrmError(Exception):
    """A problem the user must fix: exit code 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(CrmError):
    """A malformed argument or option: exit code 2."""

    exit_code = 2


class NotFound(CrmError):
    """A name that matches no contact: exit code 1, with the closest names."""

    exit_code = 1


class Ambiguous(CrmError):
    """A name that matches several contacts: exit code 2, with the candidates."""

    exit_code = 2

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class ConflictError(CrmError):
    """The note changed on disk while we were editing it; we refuse to overwrite."""

    exit_code = 1


class WriteError(CrmError):
    """The note could not be written (permissions, full disk); it is left intact."""

    exit_code = 1


class CacheChanged(CrmError):
    """A cache file read from disk as needed was rewritten in place by another program
    (crm itself only ever replaces them whole): what was read from it is no good. Run
    again, and the cache is checked anew (`crm watch` and `crm serve` let go of the
    index they kept and read the vault again at the next change)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f".crm/{name} was changed by another program while crm read it; run the command again"
        )
