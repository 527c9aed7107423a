"""The block builder every format writes into: the `Block` type, the heading stack, and the
`Paragraph` collector that gathers a paragraph or bullet line by line (markdown and text)."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

from .hygiene import tidy

BlockKind = Literal["heading", "paragraph", "bullet", "table"]


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str                                   # cleaned text; "" for tables
    line: int                                   # 1-based source line where the block starts
    headings: tuple[str, ...] = ()              # enclosing heading path, outermost first
    level: int = 0                              # heading level (1 = top) for heading blocks
    rows: tuple[tuple[str, ...], ...] = ()      # tables only: header row first
    row_sources: Sequence[str] = ()             # tables from HTML: each row's own markup, the exact quote


class RowSources(Sequence[str]):
    """Each table row's own markup, rendered when first read: a row is a tuple of parts (HTML elements, whose
    str() is their markup, or strings) joined. Rendering every row of every table cost ~15% of HTML parsing,
    and only a table read as comparative quotes its rows. Equal to, and pickled as, the tuple of its strings."""

    __slots__ = ("_parts", "_text")

    def __init__(self, parts: Iterable[tuple[Any, ...]]) -> None:
        self._parts = tuple(parts)
        self._text: list[str | None] = [None] * len(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> tuple[str, ...]: ...

    def __getitem__(self, i: int | slice) -> str | tuple[str, ...]:
        if isinstance(i, slice):
            return tuple(self[j] for j in range(*i.indices(len(self))))
        text = self._text[i]
        if text is None:
            text = self._text[i] = "".join(map(str, self._parts[i]))
        return text

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RowSources):
            return tuple(self) == tuple(other)
        return isinstance(other, tuple) and tuple(self) == other

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return tuple, (tuple(self),)


class Builder:
    """Heading stack + block list; blocks get the heading path that is open when they are added."""

    __slots__ = ("blocks", "stack", "path")

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.stack: list[tuple[int, str, str]] = []   # (level, text, style)
        self.path: tuple[str, ...] = ()

    def heading(self, text: str, level: int, line: int, style: str = "") -> None:
        text = tidy(text)
        if not text:
            return
        level = max(1, min(int(level), 9))
        st = self.stack
        if st and st[-1][0] >= level:
            while st and st[-1][0] >= level:
                st.pop()
            self.path = tuple(t for _, t, _ in st)
        self.blocks.append(Block("heading", text, max(1, line), self.path, level))
        st.append((level, text, style))
        self.path = tuple(t for _, t, _ in st)

    def add(self, kind: BlockKind, text: str, line: int) -> None:
        text = tidy(text)
        if text:
            self.blocks.append(Block(kind, text, max(1, line), self.path))

    def table(self, rows: list[list[str]], line: int, widest: bool = False,
              sources: Sequence[tuple[Any, ...]] = ()) -> None:
        """A table block; `sources` (from HTML) gives each row's markup as the parts RowSources joins."""
        kept = [i for i, r in enumerate(rows) if r is not None]
        sources = [sources[i] for i in kept] if len(sources) == len(rows) else []
        rows = [rows[i] for i in kept]
        if not rows:
            return
        width = max(len(r) for r in rows) if widest else len(rows[0])
        if width <= 0:
            return
        out: list[tuple[str, ...]] = []
        out_sources: list[tuple[Any, ...]] = []
        for i, r in enumerate(rows):
            r = [tidy(c) for c in r[:width]]
            if len(r) < width:
                r += [""] * (width - len(r))
            if i and not any(r):
                continue
            out.append(tuple(r))
            out_sources += sources[i:i + 1]
        if not any(any(r) for r in out):
            return
        self.blocks.append(Block("table", "", max(1, line), self.path, 0, tuple(out),
                                 RowSources(out_sources) if out_sources else ()))

    def level_below(self, skip_styles: tuple[str, ...]) -> int:
        """Level one below the innermost open heading whose style is not in skip_styles."""
        for lvl, _, style in reversed(self.stack):
            if style not in skip_styles:
                return lvl + 1
        return 1


def _verbatim(s: str) -> str:
    return s


class Paragraph:
    """The paragraph or bullet being collected, line by line, until a flush adds it to the builder.

    `kind` outlives a flush on purpose: the text rules ask what the last block was.
    `closed` marks a paragraph that must not take more lines (markdown: an emphasis-only line).
    """

    __slots__ = ("builder", "finish", "lines", "kind", "line", "closed")

    def __init__(self, builder: Builder, finish: Callable[[str], str] = _verbatim) -> None:
        self.builder = builder
        self.finish = finish                    # joined lines → block text (markdown: inline cleanup)
        self.lines: list[str] = []
        self.kind: BlockKind = "paragraph"
        self.line = 0
        self.closed = False

    def __bool__(self) -> bool:
        return bool(self.lines)

    def start(self, kind: BlockKind, text: str, line: int) -> None:
        self.lines = [text]
        self.kind = kind
        self.line = line

    def append(self, text: str) -> None:
        self.lines.append(text)

    def take(self) -> list[str]:
        """The collected lines, removed without adding a block (they became something else)."""
        lines, self.lines = self.lines, []
        return lines

    def flush(self) -> None:
        if self.lines:
            self.builder.add(self.kind, self.finish(" ".join(self.lines)), self.line)
            self.lines = []
        self.closed = False
