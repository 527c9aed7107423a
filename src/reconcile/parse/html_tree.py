"""The element tree the HTML walk reads: the tree BeautifulSoup builds with its lxml builder, built without it.

BeautifulSoup's tree building was half of HTML parsing. This builds the same tree from the same lxml parser
events, handled as BeautifulSoup handles them (adjacent strings merged, whitespace-only strings outside <pre> and
<textarea> collapsed to one space or newline, each string of BeautifulSoup's kind: comments, doctypes and
processing instructions are markup, strings inside <rt>, <rp>, <style>, <script> and <template> are theirs), into
light nodes. An element's str() is BeautifulSoup's markup for it (a table row's quote), rendered only when asked.
Markup lxml rejects goes to BeautifulSoup's html.parser builder, as before, and that tree is converted.
"""
from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator
from typing import Any

ROOT = "[document]"
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"
_KEEP_SPACE = frozenset({"pre", "textarea"})
_CONTAINERS = {"rt": "RubyTextString", "rp": "RubyParenthesisString", "style": "Stylesheet", "script": "Script",
               "template": "TemplateString"}


class _String(str):
    """A string of the tree. `shown`: page text (not a comment or other markup); `plain`: what get_text() joins
    (BeautifulSoup: exactly a NavigableString or CData); `kind`: its BeautifulSoup class; `line`: its element's
    source line (the html.parser builder gives one)."""

    shown = True
    plain = True
    kind = "NavigableString"
    line: int | None = None


def _kind(name: str, shown: bool, plain: bool) -> type[_String]:
    return type(name, (_String,), {"shown": shown, "plain": plain, "kind": name})


STRINGS: dict[str, type[_String]] = {"NavigableString": _String, "CData": _kind("CData", False, True)}
STRINGS.update({n: _kind(n, False, False) for n in (
    "Comment", "Declaration", "Doctype", "ProcessingInstruction", "XMLProcessingInstruction")})
STRINGS.update({n: _kind(n, True, False) for n in _CONTAINERS.values()})


class Node:
    """An element: the part of BeautifulSoup's Tag the walk uses."""

    __slots__ = ("name", "attrs", "contents", "parent", "sourceline", "origin")

    def __init__(self, name: str, attrs: dict[str, Any], parent: Node | None, sourceline: int | None = None,
                 origin: Any = None) -> None:
        self.name = name
        self.attrs = attrs
        self.contents: list[Node | _String] = []
        self.parent = parent
        self.sourceline = sourceline
        self.origin = origin                  # its BeautifulSoup Tag, once made

    def get(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)

    @property
    def children(self) -> Iterator[Node | _String]:
        return iter(self.contents)

    @property
    def descendants(self) -> Iterator[Node | _String]:
        """Every node and string below, in document order."""
        stack = self.contents[::-1]
        while stack:
            cur = stack.pop()
            yield cur
            if type(cur) is Node:
                stack.extend(reversed(cur.contents))

    def find_all(self, name: str) -> list[Node]:
        return [d for d in self.descendants if type(d) is Node and d.name == name]

    def find(self, name: str) -> Node | None:
        return next((d for d in self.descendants if type(d) is Node and d.name == name), None)

    def find_parent(self, name: str) -> Node | None:
        p = self.parent
        while p is not None and p.name != name:
            p = p.parent
        return p

    def get_text(self) -> str:
        return "".join(d for d in self.descendants if isinstance(d, _String) and d.plain)

    def __str__(self) -> str:
        if self.origin is None:
            self.origin = _as_bs4(self)
        return str(self.origin)


def _local(name: str) -> str:
    """BeautifulSoup's lxml builder drops a '{namespace}' prefix from tag and attribute names."""
    return name.split("}", 1)[1] if name[0] == "{" and "}" in name else name


class _Target:
    """lxml parser target doing what BeautifulSoup does with the events (handle_starttag, endData, _popToTag)."""

    def __init__(self) -> None:
        self.root = Node(ROOT, {}, None)
        self.stack = [self.root]
        self.open: Counter[str] = Counter()
        self.parts: list[str] = []
        self.keep_space: list[Node] = []
        self.containers: list[Node] = []

    def flush(self, kind: str | None = None) -> None:
        if not self.parts:
            return
        text = "".join(self.parts)
        self.parts = []
        if not self.keep_space and not text.strip(_ASCII_SPACES):
            text = "\n" if "\n" in text else " "
        if kind is None:
            kind = _CONTAINERS[self.containers[-1].name] if self.containers else "NavigableString"
        self.stack[-1].contents.append(STRINGS[kind](text))

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self.parts:
            self.flush()
        attrs = {(_local(k) if k[0] == "{" else k): v for k, v in attrib.items()} if attrib else {}
        name = _local(tag) if tag[0] == "{" else tag
        parent = self.stack[-1]
        node = Node(name, attrs, parent)
        parent.contents.append(node)
        self.stack.append(node)
        if name != ROOT:
            self.open[name] += 1
        if name in _KEEP_SPACE:
            self.keep_space.append(node)
        if name in _CONTAINERS:
            self.containers.append(node)

    def end(self, tag: str) -> None:
        if self.parts:
            self.flush()
        name = _local(tag) if tag[0] == "{" else tag
        if name == ROOT:                      # an element named like the root is never closed (as in bs4)
            return
        if len(self.stack) > 1 and self.stack[-1].name == name:   # the usual case: the innermost element ends
            self.pop()
            return
        for i in range(len(self.stack) - 1, 0, -1):   # pop to the innermost open element of that name
            if not self.open.get(name):
                break
            top = self.stack[i]
            self.pop()
            if top.name == name:
                break

    def pop(self) -> None:
        node = self.stack.pop()
        self.open[node.name] -= 1
        if self.keep_space and node is self.keep_space[-1]:
            self.keep_space.pop()
        if self.containers and node is self.containers[-1]:
            self.containers.pop()

    def data(self, text: str) -> None:
        self.parts.append(text)

    def comment(self, text: str) -> None:
        self.markup(text, "Comment")

    def doctype(self, name: str, pubid: str, system: str) -> None:
        from bs4.element import Doctype
        self.markup(Doctype._string_for_name_and_ids(name, pubid, system), "Doctype")

    def pi(self, target: str, data: str) -> None:
        self.markup(target + " " + data, "ProcessingInstruction")

    def markup(self, text: str, kind: str) -> None:
        self.flush()
        self.parts.append(text)
        self.flush(kind)

    def close(self) -> None:
        return None


def _lxml_variants(markup: str) -> Iterator[tuple[str | bytes, str | None]]:
    """What BeautifulSoup's lxml builder tries, in order: the text, then its UTF-8 bytes (made only if needed)."""
    if markup[:1] == "\ufeff":
        markup = markup[1:]
    yield markup, None
    yield markup.encode("utf8"), "utf8"


def _lxml_tree(markup: str) -> Node:
    from lxml import etree  # type: ignore[import-untyped]  # imported on first use, as bs4 imported it

    for variant, encoding in _lxml_variants(markup):
        target = _Target()
        try:
            parser = etree.HTMLParser(target=target, recover=True, huge_tree=False, encoding=encoding)
            parser.feed(variant)
            parser.close()
        except (UnicodeDecodeError, LookupError, etree.ParserError):
            continue                          # BeautifulSoup: ParserRejectedMarkup, try the next
        target.flush()
        return target.root
    raise ValueError("lxml rejected the markup")


def build_tree(markup: str) -> Node:
    """The tree of `markup` (BeautifulSoup's with lxml, falling back to html.parser)."""
    try:
        return _lxml_tree(markup)
    except Exception:
        from bs4 import BeautifulSoup
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _from_bs4(BeautifulSoup(markup, "html.parser"))


def _from_bs4(soup: Any) -> Node:
    """A BeautifulSoup tree as nodes (each keeps its Tag for str())."""
    from bs4.element import Tag
    root = Node(soup.name, dict(soup.attrs), None, soup.sourceline, soup)
    todo = [(soup, root)]
    while todo:
        tag, node = todo.pop()
        for child in tag.contents:
            if isinstance(child, Tag):
                kid = Node(child.name, dict(child.attrs), node, child.sourceline, child)
                todo.append((child, kid))
                node.contents.append(kid)
            else:
                text = _string_of(child)
                text.line = tag.sourceline
                node.contents.append(text)
    return root


def _string_of(s: Any) -> _String:
    for cls in type(s).__mro__:
        if cls.__name__ in STRINGS:
            return STRINGS[cls.__name__](s)
    return _String(s)


def _as_bs4(top: Node) -> Any:
    """The BeautifulSoup Tag for `top` and what is below it, made as its lxml builder makes one."""
    import bs4.element as bs4el
    from bs4.builder import LXMLTreeBuilder  # type: ignore[attr-defined]  # registered by bs4 when lxml is there

    builder = LXMLTreeBuilder()

    def tag_of(node: Node) -> Any:
        attrs = builder.attribute_dict_class()
        for k, v in node.attrs.items():
            attrs[k] = v
        return bs4el.Tag(None, builder, node.name, None, None, attrs)

    made = tag_of(top)
    todo = [(top, made)]
    while todo:
        node, tag = todo.pop()
        for child in node.contents:
            if isinstance(child, _String):
                tag.append(getattr(bs4el, child.kind)(str(child)))
            else:
                kid = tag_of(child)
                tag.append(kid)
                todo.append((child, kid))
    return made
