"""Vocabularies a steward extends: entities (with parents and groups), metrics, events, units, and the
cue words extraction reads around a figure (cues.yaml: one named regular expression per cue, with examples).

Loaded from YAML in the vocab folder and validated up front, so a broken file
fails the run before anything is written, with the file, the line and a fix.
Matching uses one compiled trie-regex per vocabulary: whole words, longest
alias first, case-insensitive except for all-caps aliases.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, cast, overload

import yaml

from .calendars import CALENDAR_YEAR, FiscalCalendar, parse_calendar
from .errors import UserError
from .prefilter import needed_words, prefiltered
from .safe_yaml import compose_file

ENTITY_KINDS = {"company", "division", "product", "project", "cluster", "fund", "person", "group", "index",
                "institution"}
GRANULARITIES = {"annual", "quarterly", "monthly", "point", "cumulative", "run_rate"}
AS_OF_DAYS = ("period_end", "published", "trading_day")
VOCAB_FILES = ("entities.yaml", "metrics.yaml", "events.yaml", "units.yaml")
CUES_FILE = "cues.yaml"
# A vocabulary folder written before cues.yaml existed reads the bundled cues.
BUNDLED_CUES = Path(__file__).resolve().parents[2] / "vocab" / CUES_FILE
CUE_REFERENCE = re.compile(r"(?<!\\)\{([a-z][a-z0-9_]*)\}")  # {growth}; \{ is a literal brace


def _calendar(node: yaml.Node, path: Path, name: str) -> FiscalCalendar:
    """An entity's fiscal_year_end: a month number (6) or a 52/53-week rule ('last Sunday of January')."""
    spec = _py(node, path)
    try:
        return parse_calendar(spec)
    except ValueError:
        raise UserError(f"entity '{name}' has fiscal_year_end {spec!r}", file=path, line=node.start_mark.line + 1,
                        hint="give the month number (1 to 12) or a rule such as 'last Sunday of January'") from None


@dataclass(frozen=True)
class Entity:
    name: str
    kind: str
    parent: str | None = None
    fiscal_year_end: FiscalCalendar | None = None   # None: the parent's (a division reports in its parent's year)
    members: tuple[str, ...] = ()  # groups only
    scope: str | None = None       # the metric scope the entity itself is (AWS is a cloud business)


@dataclass(frozen=True)
class Metric:
    name: str
    units: tuple[str, ...]      # unit kinds
    granularity: str
    family: str
    scope: str
    relational: bool = False
    # The day a point figure is as of when only the document's reporting period dates it (a results release's
    # title): "period_end" for a level (backlog, capacity), "published" for a deal or a spec announced that day;
    # "trading_day" for a market move, which is also the publication day when nothing dates it.
    as_of: str | None = None
    implied_by_unit: bool = False  # a figure in its unit that no metric word names is this metric
    signed: bool = False           # a profit that can be a loss: "a loss of 49 cents" per share is -0.49
    # The business segment it is the family's figure of, by the names a results release heads its section with
    # ('Data Center', 'Gaming'): an unqualified 'revenue' under such a heading is this metric.
    segments: tuple[str, ...] = ()
    per_share: str | None = None   # the metric its amount per share is: net income's is EPS


# Names a metric's own variants take ("Adjusted EBITDA", a non-GAAP section's rows, "adjusted EPS").
VARIANT_PREFIXES = ("adjusted_", "non_gaap_")


@dataclass(frozen=True)
class Cue:
    name: str
    pattern: str                 # other cues it names are spelled out
    regex: re.Pattern[str]
    match: tuple[str, ...]       # examples it must find
    no_match: tuple[str, ...]    # examples it must not find
    prefilter: bool = False      # searched for the words it needs first (prefilter.py): whole sentences, rare hits


class Cues:
    """Cue words by name: `cues.growth` is the compiled regex of the cue named growth (compiled once, at load)."""

    def __init__(self, by_name: dict[str, Cue]):
        self.by_name = by_name

    def __getattr__(self, name: str) -> re.Pattern[str]:
        try:
            regex: re.Pattern[str] = self.__dict__["by_name"][name].regex
        except KeyError:
            raise AttributeError(name) from None
        # Kept as an attribute: extraction reads cues hundreds of thousands of times per corpus, and an
        # instance attribute is found without calling __getattr__ again.
        found = self.__dict__[name] = prefiltered(regex) if self.__dict__["by_name"][name].prefilter else regex
        return cast(re.Pattern[str], found)  # a Prefiltered answers what a pattern does

    def __getstate__(self) -> dict[str, Any]:
        return {"by_name": self.by_name}  # a worker builds its own prefilters


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    text: str
    name: str                    # canonical name the alias maps to


_FIND_MEMO_MAX = 65536  # texts; a bench worker reads ~30,000 distinct ones


class AliasMatcher:
    """Finds whole-word aliases in text; the longest alias wins at each position.

    `find` is memoised per text (bounded): extraction asks about the same sentence, cell or heading
    several times, and headings repeat down a document. Matches are frozen; each call gets its own list."""

    def __init__(self, aliases: dict[str, str], compounds: bool = True):
        self._by_key: dict[str, str] = {}
        exact, folded = [], []
        for alias, name in aliases.items():
            if _is_acronym(alias) or alias != alias.casefold():  # a key kept as written matches as written
                exact.append(alias)
                self._by_key[alias] = name
            else:
                folded.append(alias.casefold())
                self._by_key[alias.casefold()] = name
        # compounds=False: an alias opening a hyphenated word ('stock-based') does not match, and one carrying a
        # footnote marker ('Revenue backlog1 was') does
        end = r"(?![\w])" if compounds else r"(?:(?=[1-9](?![\w.,]))|(?![\w]|-[A-Za-z]))"
        self._exact = _compile_alternation(exact, flags=0, end=end)
        self._folded = _compile_alternation(folded, flags=re.IGNORECASE, end=end)
        self._memo: dict[str, tuple[Match, ...]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_memo"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._memo = {}

    def find(self, text: str) -> list[Match]:
        if not isinstance(text, str):
            return self._find(text)
        found = self._memo.get(text)
        if found is None:
            if len(self._memo) >= _FIND_MEMO_MAX:
                self._memo.clear()
            found = self._memo[text] = tuple(self._find(text))
        return list(found)

    def _find(self, text: str) -> list[Match]:
        found: list[Match] = []
        for regex, fold in ((self._exact, False), (self._folded, True)):
            if regex is None:
                continue
            for m in regex.finditer(text):
                alias = m.group(1)
                name = self._by_key.get(alias.casefold() if fold else alias)
                if name is not None:
                    found.append(Match(*m.span(1), alias, name))
        return _drop_overlaps(found) if len(found) > 1 else found


def _is_acronym(alias: str) -> bool:
    letters = [c for c in alias if c.isalpha()]
    return len(letters) <= 5 and all(c.isupper() for c in letters) and bool(letters)


def trie_pattern(words: list[str]) -> str:
    """A regex alternation shaped as a trie, so matching cost does not grow with the alias count."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = True

    def render(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + render(child) for ch, child in sorted(node.items()) if ch != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return render(trie)


def _compile_alternation(words: list[str], flags: int, end: str = r"(?![\w])") -> re.Pattern[str] | None:
    if not words:
        return None
    # Lookarounds instead of \b: aliases may start or end with punctuation (x.AI, Character.AI). The look-ahead
    # of the letters an alias can start with fails most positions at once, before the look-behind and the trie.
    firsts = "".join(sorted({re.escape(w[0]) for w in words}))
    return re.compile(r"(?=[" + firsts + r"])(?<![\w])(" + trie_pattern(sorted(set(words))) + r")" + end, flags)


def _drop_overlaps(matches: list[Match]) -> list[Match]:
    matches.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[Match] = []
    last_end = -1
    for m in matches:
        if m.start >= last_end:
            kept.append(m)
            last_end = m.end
    return kept


@dataclass
class Vocabulary:
    entities: dict[str, Entity]
    metrics: dict[str, Metric]
    events: dict[str, tuple[str, ...]]
    unit_kinds: dict[str, tuple[str, ...]]
    approx_tolerance: float
    entity_aliases: dict[str, str] = field(default_factory=dict)
    metric_aliases: dict[str, str] = field(default_factory=dict)
    event_aliases: dict[str, str] = field(default_factory=dict)
    event_generic: dict[str, bool] = field(default_factory=dict)
    event_timeline: dict[str, bool] = field(default_factory=dict)
    event_relational: dict[str, bool] = field(default_factory=dict)
    event_of_a_thing: dict[str, bool] = field(default_factory=dict)
    event_recurring: dict[str, bool] = field(default_factory=dict)
    cues: Cues = field(default_factory=lambda: load_cues(BUNDLED_CUES))
    fingerprint: str = ""
    _accepts: dict[tuple[str, str], bool] = field(default_factory=dict, repr=False, compare=False)
    _calendars: dict[str | None, FiscalCalendar] = field(default_factory=dict, repr=False, compare=False)
    _implied: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def entity_matcher(self) -> AliasMatcher:
        return AliasMatcher(self.entity_aliases)

    @cached_property
    def metric_matcher(self) -> AliasMatcher:
        return AliasMatcher(self.metric_aliases, compounds=False)

    @cached_property
    def event_matcher(self) -> AliasMatcher:
        return AliasMatcher(self.event_aliases)

    @cached_property
    def segment_matcher(self) -> AliasMatcher:
        """Segment names ('Data Center'), each found as its key: the metric of a family is `segment_metric`'s."""
        return AliasMatcher({name: _alias_key(name) for m in self.metrics.values() for name in m.segments})

    @cached_property
    def _segment_metrics(self) -> dict[tuple[str, str], str]:
        return {(_alias_key(name), m.family): m.name for m in self.metrics.values() for name in m.segments}

    def segment_metric(self, segment: str, family: str) -> str | None:
        """The metric of `family` that a segment (a `segment_matcher` name) reports, if the vocabulary has one."""
        return self._segment_metrics.get((segment, family))

    def ancestors(self, name: str) -> list[str]:
        chain, seen = [], set()
        current = self.entities.get(name)
        while current is not None and current.parent and current.parent not in seen:
            chain.append(current.parent)
            seen.add(current.parent)
            current = self.entities.get(current.parent)
        return chain

    def related(self, a: str, b: str) -> bool:
        """Same entity, or one is an ancestor of the other."""
        return a == b or a in self.ancestors(b) or b in self.ancestors(a)

    def fiscal_year_end(self, name: str | None) -> FiscalCalendar:
        """The entity's fiscal calendar (the calendar year for an unknown entity or none); remembered per name,
        as every period read asks for it."""
        known = self._calendars.get(name)
        if known is None:
            known = self._calendars[name] = self._own_or_parents_calendar(name)
        return known

    def _own_or_parents_calendar(self, name: str | None) -> FiscalCalendar:
        for each in ([name] + self.ancestors(name)) if name in self.entities else []:
            calendar = self.entities[each].fiscal_year_end
            if calendar is not None:
                return calendar
        return CALENDAR_YEAR

    @cached_property
    def _per_share_metrics(self) -> frozenset[str]:
        return frozenset(m.per_share for m in self.metrics.values() if m.per_share)

    def is_per_share(self, metric: str) -> bool:
        """EPS: a metric that is another's amount per share."""
        return metric in self._per_share_metrics

    def measured(self, metric: str | None) -> str | None:
        """The vocabulary metric a name measures: itself, or the metric an adjusted or non-GAAP variant
        ('non_gaap_eps', 'adjusted_operating_income') is of."""
        if metric is None or metric in self.metrics:
            return metric
        return next((metric[len(p):] for p in VARIANT_PREFIXES
                     if metric.startswith(p) and metric[len(p):] in self.metrics), None)

    def definition(self, metric: str | None) -> Metric | None:
        """The metric's entry, a variant's being its base's (same units, granularity and as-of day)."""
        base = self.measured(metric)
        return self.metrics[base] if base is not None else None

    def unit_kind(self, unit: str) -> str | None:
        for kind, units in self.unit_kinds.items():
            if unit in units:
                return kind
        return None

    def accepts(self, metric: str, unit: str) -> bool:
        # Remembered per pair: extraction asks this for every metric word beside every figure.
        key = (metric, unit)
        known = self._accepts.get(key)
        if known is None:
            kinds = self.metrics[metric].units
            known = self._accepts[key] = any(unit in self.unit_kinds.get(kind, ()) for kind in kinds)
        return known

    def implied_metric(self, unit: str) -> str | None:
        """The metric a figure in this unit is when no metric word names it ('10 gigawatts' is power capacity)."""
        if unit not in self._implied:  # remembered per unit: asked for most figures of prose
            implied = [name for name, m in self.metrics.items() if m.implied_by_unit and self.accepts(name, unit)]
            self._implied[unit] = implied[0] if len(implied) == 1 else None
        return self._implied[unit]


# --- loading -----------------------------------------------------------------------------------

def load_vocabulary(vocab_dir: Path) -> Vocabulary:
    """Read and validate all vocabulary files; raise UserError naming file and line on any problem."""
    vocab_dir = Path(vocab_dir)
    docs = {name: _load_yaml(vocab_dir / name) for name in VOCAB_FILES}
    unit_kinds, tolerance = _read_units(docs["units.yaml"], vocab_dir / "units.yaml")
    _read_spellings(docs["units.yaml"], vocab_dir / "units.yaml", required=False)  # fail early on a bad entry
    entities, entity_aliases = _read_entities(docs["entities.yaml"], vocab_dir / "entities.yaml")
    metrics, metric_aliases = _read_metrics(docs["metrics.yaml"], vocab_dir / "metrics.yaml", unit_kinds)
    events, event_aliases, event_flags = _read_events(docs["events.yaml"], vocab_dir / "events.yaml")
    cues_path = vocab_dir / CUES_FILE if (vocab_dir / CUES_FILE).exists() else BUNDLED_CUES
    cues = load_cues(cues_path)
    return Vocabulary(entities=entities, metrics=metrics, events=events, unit_kinds=unit_kinds,
                      approx_tolerance=tolerance, entity_aliases=entity_aliases,
                      metric_aliases=metric_aliases, event_aliases=event_aliases,
                      event_generic=event_flags["generic"], event_timeline=event_flags["timeline"],
                      event_relational=event_flags["relational"], event_of_a_thing=event_flags["of_a_thing"],
                      event_recurring=event_flags["recurring"],
                      cues=cues,
                      fingerprint=_fingerprint(vocab_dir, cues_path))


def _fingerprint(vocab_dir: Path, cues_path: Path) -> str:
    """Every file of the folder, with the cues actually read (a folder without cues.yaml reads the bundled one)."""
    own = folder_digest(vocab_dir, skip_files=frozenset({CUES_FILE}))
    return hashlib.sha256((own + hashlib.sha256(cues_path.read_bytes()).hexdigest()).encode()).hexdigest()[:16]


def folder_digest(folder: Path, skip_dirs: frozenset[str] = frozenset({"__pycache__"}),
                  skip_files: frozenset[str] = frozenset()) -> str:
    """sha256 over every file under `folder` (relative path and bytes, in path order; hidden files and
    `skip_dirs` aside): a file added, removed, renamed or edited gives another digest."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if (not path.is_file() or any(part.startswith(".") or part in skip_dirs for part in relative.parts)
                or path.suffix == ".pyc" or relative.as_posix() in skip_files):
            continue
        data = path.read_bytes()
        digest.update(f"{relative.as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def load_cues(path: Path) -> Cues:
    """Read cues.yaml: every cue compiles, finds each of its `match` examples and none of its `no_match` ones;
    a folder's own cues.yaml names every cue the bundled one does (extraction asks for them by name)."""
    cues = _read_cues(_load_yaml(path), path)
    if path != BUNDLED_CUES:
        missing = sorted(set(load_cues(BUNDLED_CUES).by_name) - set(cues.by_name))
        if missing:
            raise UserError(f"cue '{missing[0]}' is missing", file=path, line=1,
                            hint=f"copy it from the bundled {CUES_FILE}; extraction reads every bundled cue")
    return cues


VOCAB_MAX_BYTES = 2_000_000   # the bundled files are a few KB each


def _load_yaml(path: Path) -> yaml.Node:
    if not path.is_file():
        raise UserError("vocabulary file is missing", file=path,
                        hint="restore it from git or point RECONCILE_VOCAB at a folder holding "
                             f"{', '.join(VOCAB_FILES)}")
    try:
        node = compose_file(path, max_bytes=VOCAB_MAX_BYTES,
                            hint_too_large="a vocabulary lists words and units; split or trim it")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise UserError(f"not valid YAML ({_one_line(exc)})", file=path,
                        line=mark.line + 1 if mark else None, hint="check the indentation and quoting there") from None
    except UnicodeDecodeError:
        raise UserError("not UTF-8 text", file=path, hint="save the file as UTF-8") from None
    if not isinstance(node, yaml.MappingNode):
        raise UserError("expected a mapping at the top level", file=path, line=1,
                        hint="see the comments at the top of the bundled file for the layout")
    return node


def _mapping(node: yaml.Node, path: Path, what: str) -> list[tuple[yaml.ScalarNode, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise UserError(f"{what} must be a mapping", file=path, line=node.start_mark.line + 1)
    first: dict[str, int] = {}
    for key, _ in node.value:
        name = str(key.value).strip()
        if name in first:
            raise UserError(f"'{name}' appears twice in {what} (first at line {first[name]})", file=path,
                            line=key.start_mark.line + 1, hint="keep one entry and merge the other into it")
        first[name] = key.start_mark.line + 1
    pairs: list[tuple[yaml.ScalarNode, yaml.Node]] = node.value
    return pairs


@overload
def _section(root: yaml.Node, key: str, path: Path, required: Literal[True] = True) -> yaml.Node: ...
@overload
def _section(root: yaml.Node, key: str, path: Path, required: bool) -> yaml.Node | None: ...
def _section(root: yaml.Node, key: str, path: Path, required: bool = True) -> yaml.Node | None:
    for k, v in _mapping(root, path, "the file"):
        if k.value == key:
            return v
    if required:
        raise UserError(f"missing the top-level key '{key}'", file=path, line=1,
                        hint=f"add '{key}:' as in the bundled file")
    return None


def _py(node: yaml.Node, path: Path) -> Any:
    """A scalar field's value (kind, parent, granularity ...); lists and mappings are refused here."""
    if not isinstance(node, yaml.ScalarNode):
        raise UserError("expected a single value here, not a list or a mapping", file=path,
                        line=node.start_mark.line + 1, hint="write one value, as in the bundled file")
    try:
        return yaml.safe_load(yaml.serialize(node))
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise UserError(f"value cannot be read ({_one_line(exc)})", file=path, line=node.start_mark.line + 1,
                        hint="write it as plain text, a number or true/false") from None


def _str_list(node: yaml.Node | None, path: Path, what: str, strip: bool = True) -> list[tuple[str, int]]:
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise UserError(f"{what} must be a list", file=path, line=node.start_mark.line + 1,
                        hint="write it as [a, b, c]")
    out = []
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode) or not str(item.value).strip():
            raise UserError(f"{what} must hold non-empty strings", file=path, line=item.start_mark.line + 1)
        out.append((str(item.value).strip() if strip else str(item.value), item.start_mark.line + 1))
    return out


def _alias_key(alias: str) -> str:
    return alias if _is_acronym(alias) else alias.casefold()


def _add_alias(aliases: dict[str, str], alias: str, name: str, path: Path, line: int, kind: str,
               as_written: bool = False) -> None:
    """`as_written`: the alias matches only with its own capitals ('Figure' the company, not 'that figure')."""
    key = alias if as_written else _alias_key(alias)
    owner = aliases.get(key)
    if owner is not None and owner != name:
        raise UserError(f"duplicate {kind} alias '{alias}': already maps to '{owner}', here to '{name}'",
                        file=path, line=line, hint="keep the alias under one entry only")
    aliases[key] = name


def _fields(node: yaml.Node, path: Path, what: str, allowed: set[str]) -> dict[str, yaml.Node]:
    out = {}
    for k, v in _mapping(node, path, what):
        if k.value not in allowed:
            raise UserError(f"unknown key '{k.value}' in {what}", file=path, line=k.start_mark.line + 1,
                            hint=f"use only: {', '.join(sorted(allowed))}")
        out[k.value] = v
    return out


def _read_entities(root: yaml.Node, path: Path) -> tuple[dict[str, Entity], dict[str, str]]:
    entities: dict[str, Entity] = {}
    aliases: dict[str, str] = {}
    parent_lines: dict[str, int] = {}
    for key, body in _mapping(_section(root, "entities", path), path, "entities"):
        name = str(key.value).strip()
        f = _fields(body, path, f"entity '{name}'",
                    {"kind", "parent", "aliases", "fiscal_year_end", "scope", "match_case"})
        match_case = _py(f["match_case"], path) if "match_case" in f else False
        if not isinstance(match_case, bool):
            raise UserError(f"entity '{name}': 'match_case' must be true or false", file=path,
                            line=f["match_case"].start_mark.line + 1)
        kind = _py(f["kind"], path) if "kind" in f else "company"
        if not isinstance(kind, str) or kind not in ENTITY_KINDS:
            raise UserError(f"entity '{name}' has unknown kind '{kind}'", file=path, line=f["kind"].start_mark.line + 1,
                            hint=f"use one of {', '.join(sorted(ENTITY_KINDS))}")
        fye = _calendar(f["fiscal_year_end"], path, name) if "fiscal_year_end" in f else None
        parent = _py(f["parent"], path) if "parent" in f else None
        if parent is not None and not isinstance(parent, str):
            raise UserError(f"entity '{name}' has parent {parent!r}, not a name", file=path,
                            line=f["parent"].start_mark.line + 1, hint="write the parent entity's name")
        if parent is not None:
            parent_lines[name] = f["parent"].start_mark.line + 1
        scope = _py(f["scope"], path) if "scope" in f else None
        if scope is not None and not isinstance(scope, str):
            raise UserError(f"entity '{name}' has scope {scope!r}, not a word", file=path,
                            line=f["scope"].start_mark.line + 1, hint="use a metric scope such as cloud or ai")
        entities[name] = Entity(name=name, kind=kind, parent=parent, fiscal_year_end=fye, scope=scope)
        _add_alias(aliases, name, name, path, key.start_mark.line + 1, "entity", as_written=match_case)
        for alias, line in _str_list(f.get("aliases"), path, f"aliases of '{name}'"):
            _add_alias(aliases, alias, name, path, line, "entity", as_written=match_case)
    for name, line in parent_lines.items():
        if entities[name].parent not in entities:
            raise UserError(f"entity '{name}' names unknown parent '{entities[name].parent}'", file=path, line=line,
                            hint="add the parent as an entity, or fix its spelling")
    groups = _section(root, "groups", path, required=False)
    if groups is not None:
        for key, body in _mapping(groups, path, "groups"):
            name = str(key.value).strip()
            f = _fields(body, path, f"group '{name}'", {"aliases", "members"})
            members = [m for m, _ in _str_list(f.get("members"), path, f"members of '{name}'")]
            for member in members:
                if member not in entities:
                    raise UserError(f"group '{name}' names unknown member '{member}'", file=path,
                                    line=f["members"].start_mark.line + 1, hint="members must be entities")
            entities[name] = Entity(name=name, kind="group", members=tuple(sorted(members)))
            _add_alias(aliases, name, name, path, key.start_mark.line + 1, "entity")
            for alias, line in _str_list(f.get("aliases"), path, f"aliases of '{name}'"):
                _add_alias(aliases, alias, name, path, line, "entity")
    return entities, {k: v for k, v in aliases.items()}


def _read_metrics(root: yaml.Node, path: Path, unit_kinds: dict[str, Any]) -> tuple[dict[str, Metric], dict[str, str]]:
    metrics: dict[str, Metric] = {}
    aliases: dict[str, str] = {}
    allowed = {"unit", "granularity", "family", "scope", "relational", "aliases", "as_of", "implied_by_unit",
               "signed", "segment", "per_share"}
    segment_owners: dict[tuple[str, str], str] = {}  # (segment name, family) → the metric that reports it
    for key, body in _mapping(_section(root, "metrics", path), path, "metrics"):
        name = str(key.value).strip()
        f = _fields(body, path, f"metric '{name}'", allowed)
        units = [u for u, _ in _str_list(f.get("unit"), path, f"unit of '{name}'")]
        for unit, line in _str_list(f.get("unit"), path, f"unit of '{name}'"):
            if unit not in unit_kinds:
                raise UserError(f"metric '{name}' has unknown unit kind '{unit}'", file=path, line=line,
                                hint=f"use one of {', '.join(sorted(unit_kinds))}, or add it to units.yaml")
        if not units:
            raise UserError(f"metric '{name}' has no unit", file=path, line=key.start_mark.line + 1,
                            hint="add e.g. 'unit: [money]'")
        granularity = _py(f["granularity"], path) if "granularity" in f else "point"
        if not isinstance(granularity, str) or granularity not in GRANULARITIES:
            raise UserError(f"metric '{name}' has unknown granularity '{granularity}'", file=path,
                            line=f["granularity"].start_mark.line + 1,
                            hint=f"use one of {', '.join(sorted(GRANULARITIES))}")
        as_of = _py(f["as_of"], path) if "as_of" in f else None
        if as_of is not None and as_of not in AS_OF_DAYS:
            raise UserError(f"metric '{name}' has unknown as_of '{as_of}'", file=path,
                            line=f["as_of"].start_mark.line + 1, hint=f"use one of {', '.join(AS_OF_DAYS)}")
        family = str(_py(f["family"], path)) if "family" in f else name
        metrics[name] = Metric(name=name, units=tuple(units), granularity=granularity, family=family,
                               scope=str(_py(f["scope"], path)) if "scope" in f else "total",
                               relational=bool(_py(f["relational"], path)) if "relational" in f else False,
                               as_of=str(as_of) if as_of is not None else None,
                               implied_by_unit=bool(_py(f["implied_by_unit"], path))
                               if "implied_by_unit" in f else False,
                               signed=bool(_py(f["signed"], path)) if "signed" in f else False,
                               segments=_segment_names(f.get("segment"), path, name, family, segment_owners),
                               per_share=str(_py(f["per_share"], path)) if "per_share" in f else None)
        for alias, line in _str_list(f.get("aliases"), path, f"aliases of '{name}'"):
            _add_alias(aliases, alias, name, path, line, "metric")
    for name, metric in metrics.items():
        if metric.per_share is not None and metric.per_share not in metrics:
            raise UserError(f"metric '{name}' names unknown per_share metric '{metric.per_share}'", file=path,
                            hint="per_share must name another metric here, e.g. 'per_share: eps'")
    return metrics, aliases


def _segment_names(node: yaml.Node | None, path: Path, metric: str, family: str,
                   owners: dict[tuple[str, str], str]) -> tuple[str, ...]:
    """A metric's `segment` names. A segment reports one metric of a family: two would make 'revenue' under its
    heading two metrics at once."""
    names = _str_list(node, path, f"segment of '{metric}'")
    for segment, line in names:
        owner = owners.setdefault((_alias_key(segment), family), metric)
        if owner != metric:
            raise UserError(f"segment '{segment}' of family '{family}' already reports '{owner}', here '{metric}'",
                            file=path, line=line, hint="name the segment under one metric of the family only")
    return tuple(segment for segment, _ in names)


EVENT_FLAGS = ("generic", "timeline", "relational", "of_a_thing", "recurring")
# Entity kinds an event 'of a thing' (a release, a mass production) can be about by name.
THING_KINDS = ("product", "project", "cluster")


def _read_events(root: yaml.Node,
                 path: Path) -> tuple[dict[str, tuple[str, ...]], dict[str, str], dict[str, dict[str, bool]]]:
    events: dict[str, tuple[str, ...]] = {}
    aliases: dict[str, str] = {}
    flags: dict[str, dict[str, bool]] = {flag: {} for flag in EVENT_FLAGS}
    for key, body in _mapping(_section(root, "events", path), path, "events"):
        name = str(key.value).strip()
        f = _fields(body, path, f"event '{name}'", {"aliases", *EVENT_FLAGS})
        words = _str_list(f.get("aliases"), path, f"aliases of '{name}'")
        events[name] = tuple(w for w, _ in words)
        for flag in EVENT_FLAGS:
            value = _py(f[flag], path) if flag in f else False
            if not isinstance(value, bool):
                raise UserError(f"event '{name}': '{flag}' must be true or false", file=path,
                                line=f[flag].start_mark.line + 1)
            flags[flag][name] = value
        for alias, line in words:
            _add_alias(aliases, alias, name, path, line, "event")
    return events, aliases, flags


def _read_units(root: yaml.Node, path: Path) -> tuple[dict[str, tuple[str, ...]], float]:
    kinds = {}
    for key, body in _mapping(_section(root, "unit_kinds", path), path, "unit_kinds"):
        kinds[str(key.value)] = tuple(u for u, _ in _str_list(body, path, f"units of '{key.value}'"))
    tol_node = _section(root, "approx_tolerance", path, required=False)
    tolerance = _py(tol_node, path) if tol_node is not None else 0.1
    if not isinstance(tolerance, (int, float)) or not 0 <= tolerance < 1:
        raise UserError(f"approx_tolerance must be a fraction between 0 and 1, not {tolerance!r}", file=path,
                        line=tol_node.start_mark.line + 1 if tol_node is not None else None, hint="e.g. 0.10")
    return kinds, float(tolerance)


def _read_cues(root: yaml.Node, path: Path) -> Cues:
    raw: dict[str, tuple[str, bool, int]] = {}
    flagged: dict[str, tuple[object, int]] = {}
    examples: dict[str, tuple[list[tuple[str, int]], list[tuple[str, int]]]] = {}
    for key, body in _mapping(_section(root, "cues", path), path, "cues"):
        name, line = str(key.value).strip(), key.start_mark.line + 1
        if not CUE_REFERENCE.fullmatch("{" + name + "}"):
            raise UserError(f"cue name '{name}' is not a lower-case word", file=path, line=line,
                            hint="name cues like growth or annualised_before (a-z, 0-9, _)")
        f = _fields(body, path, f"cue '{name}'", {"pattern", "case_sensitive", "match", "no_match", "prefilter"})
        pattern = _py(f["pattern"], path) if "pattern" in f else None
        if not isinstance(pattern, str) or not pattern:
            raise UserError(f"cue '{name}' has no pattern", file=path, line=line,
                            hint="add pattern: 'a regular expression' in single quotes")
        case = _py(f["case_sensitive"], path) if "case_sensitive" in f else False
        if not isinstance(case, bool):
            raise UserError(f"cue '{name}': 'case_sensitive' must be true or false", file=path,
                            line=f["case_sensitive"].start_mark.line + 1)
        found = _str_list(f.get("match"), path, f"match examples of '{name}'", strip=False)
        if not found:
            raise UserError(f"cue '{name}' has no example", file=path, line=line,
                            hint="add match: ['a sentence the cue must find']")
        raw[name] = (pattern, case, f["pattern"].start_mark.line + 1)
        examples[name] = (found, _str_list(f.get("no_match"), path, f"no_match examples of '{name}'", strip=False))
        if "prefilter" in f:
            flagged[name] = (_py(f["prefilter"], path), f["prefilter"].start_mark.line + 1)
    by_name: dict[str, Cue] = {}
    for name, (_, case, line) in raw.items():
        pattern = _resolve_cue(name, raw, path, ())
        try:
            regex = re.compile(pattern, 0 if case else re.IGNORECASE)
        except re.error as exc:
            raise UserError(f"cue '{name}' is not a valid regular expression ({exc})", file=path, line=line,
                            hint="escape ( ) [ ] { } . ? + * with a backslash where they are meant literally") from None
        found, missed = examples[name]
        _check_examples(name, regex, found, missed, path)
        by_name[name] = Cue(name, pattern, regex, tuple(t for t, _ in found), tuple(t for t, _ in missed),
                            _prefilter_flag(name, regex, *flagged.get(name, (False, line)), path))
    return Cues(by_name)


def _prefilter_flag(name: str, regex: re.Pattern[str], flag: object, line: int, path: Path) -> bool:
    """A cue's `prefilter: true` holds only when its pattern names words every match needs."""
    if not isinstance(flag, bool):
        raise UserError(f"cue '{name}': 'prefilter' must be true or false", file=path, line=line,
                        hint="write prefilter: true, or leave it out")
    if flag and needed_words(regex.pattern, regex.flags) is None:
        raise UserError(f"cue '{name}' has prefilter: true, but no short list of words is in its every match",
                        file=path, line=line, hint="remove prefilter (it only helps a cue whose every match holds "
                                                    "one of a few words)")
    return flag


def _resolve_cue(name: str, raw: dict[str, tuple[str, bool, int]], path: Path, seen: tuple[str, ...]) -> str:
    """A cue's pattern with each {other} cue it names spelled out as a group."""
    pattern, _, line = raw[name]

    def spell(m: re.Match[str]) -> str:
        other = m.group(1)
        if other not in raw:
            raise UserError(f"cue '{name}' names unknown cue '{{{other}}}'", file=path, line=line,
                            hint="define that cue, or escape a literal brace as \\{")
        if other in seen + (name,):
            raise UserError(f"cue '{name}' names itself through '{other}'", file=path, line=line,
                            hint="a cue may use other cues, but not in a circle")
        return "(?:" + _resolve_cue(other, raw, path, seen + (name,)) + ")"

    return CUE_REFERENCE.sub(spell, pattern)


def _check_examples(name: str, regex: re.Pattern[str], found: list[tuple[str, int]], missed: list[tuple[str, int]],
                    path: Path) -> None:
    for text, line in found:
        if not regex.search(text):
            raise UserError(f"cue '{name}' does not find its example {text!r}", file=path, line=line,
                            hint="fix the pattern, or the example if the cue is right")
    for text, line in missed:
        if regex.search(text):
            raise UserError(f"cue '{name}' finds {text!r}, listed under no_match", file=path, line=line,
                            hint="narrow the pattern, or move the example to match")


SPELLING_GROUPS = ("physical", "flops", "durations", "words")


def load_unit_spellings(path: Path) -> dict[str, dict[str, str]]:
    """The `spellings` section of a units.yaml: group (physical | flops | durations | words) -> spelling -> unit."""
    return _read_spellings(_load_yaml(Path(path)), Path(path), required=True)


def _read_spellings(root: yaml.Node, path: Path, required: bool) -> dict[str, dict[str, str]]:
    section = _section(root, "spellings", path, required=required)
    groups: dict[str, dict[str, str]] = {group: {} for group in SPELLING_GROUPS}
    if section is None:
        return groups
    for key, body in _mapping(section, path, "spellings"):
        if key.value not in groups:
            raise UserError(f"unknown spelling group '{key.value}'", file=path, line=key.start_mark.line + 1,
                            hint=f"use one of {', '.join(SPELLING_GROUPS)}")
        for spelling, unit in _mapping(body, path, f"spellings of '{key.value}'"):
            canonical = _py(unit, path)
            if not isinstance(canonical, str) or not canonical.strip() or not str(spelling.value).strip():
                raise UserError(f"spelling '{spelling.value}' needs a unit name", file=path,
                                line=spelling.start_mark.line + 1, hint="write it as 'spelling: UNIT', e.g. 'GW: GW'")
            groups[key.value][str(spelling.value)] = canonical
    return groups


def _one_line(exc: BaseException) -> str:
    """An exception's message on one line (YAML errors carry a multi-line snippet after the problem)."""
    problem = getattr(exc, "problem", None)
    text = str(problem) if problem else (str(exc).splitlines() or [type(exc).__name__])[0]
    return " ".join(text.split())
