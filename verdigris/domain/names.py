"""Splitting a lead's full name into parts, and composing it back.

Copper stores ``name`` beside ``prefix``, ``first_name``, ``middle_name``,
``last_name`` and ``suffix``: "My Lead" becomes first "My", last "Lead". The rules
here are deterministic and documented in docs/compatibility.md.
"""

from __future__ import annotations

from typing import NamedTuple

_PREFIXES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "madam",
        "rev",
        "fr",
        "sr",
        "hon",
        "capt",
        "col",
        "gen",
        "lt",
        "maj",
        "sgt",
    ]
)
_SUFFIXES = frozenset(
    ["jr", "sr", "ii", "iii", "iv", "v", "vi", "phd", "md", "dds", "esq", "cpa", "mba", "jd", "rn"]
)


class NameParts(NamedTuple):
    prefix: str | None
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    suffix: str | None


def _key(token: str) -> str:
    return token.strip(".,").lower().replace(".", "")


def split_name(full: str) -> NameParts:
    """Split ``full`` into prefix, first, middle, last and suffix.

    A leading honorific ("Dr.", "Ms") becomes the prefix and a trailing generational
    or professional suffix ("Jr.", "III", "PhD") the suffix, but only when some
    other word remains. One remaining word is the first name; two are first and
    last; more put everything between first and last into the middle name.
    """
    tokens = full.split()
    prefix = suffix = None
    if len(tokens) > 1 and _key(tokens[0]) in _PREFIXES:
        prefix = tokens.pop(0)
    if len(tokens) > 1 and _key(tokens[-1]) in _SUFFIXES:
        suffix = tokens.pop()
        # "Public, Jr." -> last name "Public"
        if tokens[-1].endswith(","):
            tokens[-1] = tokens[-1].rstrip(",")
    if not tokens:
        return NameParts(prefix, None, None, None, suffix)
    if len(tokens) == 1:
        return NameParts(prefix, tokens[0], None, None, suffix)
    middle = " ".join(tokens[1:-1]) or None
    return NameParts(prefix, tokens[0], middle, tokens[-1], suffix)


def compose_name(parts: NameParts) -> str | None:
    """Join the non-empty parts with single spaces; ``None`` when all are empty."""
    words = [p.strip() for p in parts if p and p.strip()]
    return " ".join(words) or None
