"""Reading YAML a user or a pull request supplied, without letting the file exhaust the machine.

Every YAML file reconcile reads (sources.yaml, the vocabularies, decisions imports) goes through
`compose_file`: the file's size is capped before it is read, and anchors and aliases are refused
while parsing, before any node is built. Aliases are how a 600-byte file expands to gigabytes
("billion laughs"); none of reconcile's files needs them, so refusing both is simpler than
bounding the expansion. Parsing uses libyaml when it is installed (several times faster).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from reconcile.errors import UserError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlTooLarge(UserError):
    """A YAML file over its size cap."""


def compose_file(path: Path, *, max_bytes: int, hint_too_large: str) -> yaml.Node | None:
    """The root node of a UTF-8 YAML file; UserError when it is too large or uses anchors/aliases.

    Syntax errors propagate as `yaml.YAMLError` and undecodable text as `UnicodeDecodeError`,
    so each caller keeps its own wording for those.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise YamlTooLarge(f"the file is {size:,} bytes, over the limit of {max_bytes:,}", file=path,
                           hint=hint_too_large)
    with path.open("rb") as handle:
        text = handle.read(max_bytes + 1).decode("utf-8")   # the file may grow after stat()
    if len(text.encode("utf-8")) > max_bytes:
        raise YamlTooLarge(f"the file grew past the limit of {max_bytes:,} bytes while being read",
                           file=path, hint=hint_too_large)
    return compose_text(text, path)


def compose_text(text: str, file: str | Path) -> yaml.Node | None:
    """The root node of YAML text, refusing anchors and aliases (they are checked before any node is built)."""
    _refuse_anchors(text, file)
    return yaml.compose(text, Loader=_Loader)


def construct(node: yaml.Node | None) -> Any:
    """Plain Python data (SafeLoader types) from a node returned by `compose_file`/`compose_text`."""
    if node is None:
        return None
    return yaml.SafeLoader("").construct_document(node)


def _refuse_anchors(text: str, file: str | Path) -> None:
    for event in yaml.parse(text, Loader=_Loader):
        anchor = getattr(event, "anchor", None)  # only node and alias events have one
        if isinstance(event, yaml.AliasEvent) or anchor:
            kind = "alias *" if isinstance(event, yaml.AliasEvent) else "anchor &"
            raise UserError(f"YAML {kind}{anchor} is not allowed", file=file,
                            line=event.start_mark.line + 1 if event.start_mark is not None else None,
                            hint="write the value out in full; reconcile refuses anchors and aliases "
                                 "(they can expand a small file into gigabytes)")
