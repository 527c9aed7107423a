"""A cheap test run before a regular expression: the literal words any match of it must contain.

Most cue searches find nothing, and a regex that can start at many positions ('\\b(?:[A-Z]\\w*\\s+){1,3}Sale')
costs ~10 µs per sentence to say so, where `'sale' in text.lower()` costs well under one. `needed_words` reads
the words off the compiled pattern itself (so a cue's words need not be listed twice and cannot drift), and
`Prefiltered` runs the regex only when the text holds one of them: the same matches, found sooner.
"""
from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from typing import Any

# The regex parser's tree and node kinds (Python 3.11's re._parser and re._constants; typeshed has no stubs).
_parser: Any = importlib.import_module("re._parser")
C: Any = importlib.import_module("re._constants")

# Letters a case-insensitive regex matches for an ASCII letter but that lower() does not turn into it
# (dotted and dotless i, long s): a text with one is always given to the regex.
_ODD_FOLDS = re.compile("[\u0130\u0131\u017f]")
_MAX_CHOICES = 12  # more alternative words than this: testing them costs about what the regex does
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)


def needed_words(pattern: str, flags: int = 0) -> tuple[str, ...] | None:
    """Lower-case ASCII strings one of which every match of `pattern` contains; None when there are none to
    name (or the pattern cannot be read)."""
    try:
        tree = _parser.parse(pattern, flags)
    except (re.error, RecursionError, AttributeError, TypeError):  # pragma: no cover - compiled elsewhere first
        return None
    words = _sequence(list(tree))
    if not words or len(words) > _MAX_CHOICES or "" in words:
        return None
    return tuple(sorted(words))


def _sequence(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """What a run of nodes needs: its longest literal run, or the most selective need of one of its parts."""
    options: list[frozenset[str]] = []
    run: list[str] = []
    for op, arg in items:
        if op is C.LITERAL and arg < 128:
            run.append(chr(arg).lower())
            continue
        if run:
            options.append(frozenset({"".join(run)}))
            run = []
        need = _node(op, arg)
        if need is not None:
            options.append(need)
    if run:
        options.append(frozenset({"".join(run)}))
    return max(options, key=_selectivity) if options else None


def _selectivity(words: frozenset[str]) -> tuple[int, int]:
    return min(len(w) for w in words), -len(words)


def _node(op: Any, arg: Any) -> frozenset[str] | None:
    if op is C.SUBPATTERN:
        return _sequence(list(arg[-1]))
    if op is C.BRANCH:
        found: set[str] = set()
        for branch in arg[1]:
            need = _sequence(list(branch))
            if need is None:
                return None
            found |= need
        return frozenset(found)
    if op in _REPEATS and arg[0] >= 1:
        return _sequence(list(arg[2]))
    if op is C.IN and all(kind is C.LITERAL and value < 128 for kind, value in arg) and len(arg) <= 4:
        return frozenset(chr(value).lower() for _, value in arg)
    return None  # anchors, look-arounds, classes, any character: nothing a match must hold


def may_hold(words: tuple[str, ...] | None, text: str, low: str) -> bool:
    """Whether `text` (`low`: its lower-case form, made once for several tests) can hold a match that needs one of
    `words` (None: any text can)."""
    if words is None:
        return True
    for word in words:
        if word in low:
            return True
    return not text.isascii() and _ODD_FOLDS.search(text) is not None


class Prefiltered:
    """A compiled regex behind its needed words: search and finditer say 'nothing' at once for a text that holds
    none of them. match, fullmatch (tried at one place, they fail fast) and everything else are the regex's own."""

    __slots__ = ("regex", "words", "match", "fullmatch")

    def __init__(self, regex: re.Pattern[str], words: tuple[str, ...]):
        self.regex = regex
        self.words = words
        self.match = regex.match
        self.fullmatch = regex.fullmatch

    def _absent(self, text: str) -> bool:
        return not may_hold(self.words, text, text.lower())

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        if self._absent(text):
            return None
        return self.regex.search(text, pos, endpos)

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        if self._absent(text):
            return iter(())
        return self.regex.finditer(text, pos, endpos)

    def __getattr__(self, name: str) -> Any:
        if name in Prefiltered.__slots__:
            raise AttributeError(name)  # not yet set (while unpickling)
        return getattr(self.regex, name)

    def __getstate__(self) -> tuple[re.Pattern[str], tuple[str, ...]]:
        return self.regex, self.words

    def __setstate__(self, state: tuple[re.Pattern[str], tuple[str, ...]]) -> None:
        self.__init__(*state)  # type: ignore[misc]


def prefiltered(regex: re.Pattern[str]) -> re.Pattern[str] | Prefiltered:
    """The regex behind its needed words, or the regex itself when it names none."""
    words = needed_words(regex.pattern, regex.flags)
    return regex if words is None else Prefiltered(regex, words)
