"""Writing outputs safely: whole sets swapped atomically, single files atomically,
one run at a time, and CSV cells that a spreadsheet cannot execute.

Output sets
-----------
`out/` is a symlink to `out.d/<generation>/`. A run builds the next generation in
a staging directory inside `out.d/` (same filesystem as `out/`), fsyncs it, renames
it into place and then swaps the symlink with one `rename(2)`. A reader, or a
SIGKILL at any instant, therefore only ever sees the complete old set or the
complete new set. The previous generation is kept for readers that already
resolved the link (`pin_output_set`); older ones are deleted.

    with output_set(Path("out")) as staging:          # staging is a fresh dir
        atomic_write_text(staging / "report.md", md)    # or any plain write
        (staging / "gx_docs").mkdir()
        ...                                             # exception => discarded
    # committed here: out/ now shows exactly what was written into staging

CSV safety rule
---------------
`csv_safe` touches only text cells (str values in object/string columns); numeric,
boolean and missing cells are never changed. A text cell gets one leading `'` when
  * its first character is `=`, `+`, `-`, `@`, tab, CR or LF (or a full-width
    `＝ ＋ － ＠`), or its first non-blank character is `= + - @`, unless the whole
    cell is a plain signed number such as `-5`, `+50%` or `-1,234.5` (a spreadsheet
    reads those as numbers, never as formulas); or
  * it already starts with `'`, so that the escaping stays reversible.
`read_csv_safe` strips exactly one leading `'` from every text cell, so
`read_csv_safe(write(csv_safe(df)))` gives the original strings back.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import io
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from .errors import RunLockedError

# --------------------------------------------------------------------------- CSV

_FORMULA_TRIGGERS = frozenset("=+-@\t\r\n＝＋－＠")
_BLANK_THEN_TRIGGER = re.compile(r"^\s+[=+\-@＝＋－＠]")
# A negative number is data a spreadsheet shows as such; a leading '+' is always neutralised, as the
# issue asks and as the property test checks ("+0" once slipped through as a "plain number").
_PLAIN_NUMBER = re.compile(r"^-?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?%?$")
_ESCAPE = "'"


def needs_escape(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula, or it starts with our escape."""
    if not text:
        return False
    if text[0] == _ESCAPE:
        return True
    if text[0] in _FORMULA_TRIGGERS or _BLANK_THEN_TRIGGER.match(text):
        return not (_PLAIN_NUMBER.match(text) and any(ch.isdigit() for ch in text))
    return False


def escape_cell(value: object) -> object:
    if isinstance(value, str) and needs_escape(value):
        return _ESCAPE + value
    return value


def unescape_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_ESCAPE):
        return value[1:]
    return value


def _text_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns
            if pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c])]


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells cannot run as spreadsheet formulas (rule in module doc)."""
    out = df.copy()
    for col in _text_columns(out):
        out[col] = _escaped(out[col])
    return out


def _escaped(column: pd.Series) -> pd.Series:
    """column.map(escape_cell), deciding once per distinct value: a claims table repeats its entities,
    units and periods thousands of times, and most columns need no escaping at all."""
    if column.dtype != object:
        return column.map(escape_cell)
    values = column.to_numpy()
    try:   # Python's own equality: pandas' hash table reads text only up to a NUL ('=a\0b' and '=a\0c' as one)
        distinct = dict.fromkeys(values)
    except TypeError:   # an unhashable cell (a list, a dict): decide cell by cell
        return column.map(escape_cell)
    if not all(v is None or isinstance(v, str) for v in distinct):
        return column.map(escape_cell)   # map's own type inference decides what mixed cells become
    changed = {v: _ESCAPE + v for v in distinct if v is not None and needs_escape(v)}
    if not changed:
        return column
    return pd.Series([changed.get(v, v) for v in values], index=column.index, name=column.name, dtype=object)


def csv_unsafe(df: pd.DataFrame) -> pd.DataFrame:
    """Reverse `csv_safe` on a frame read back from CSV."""
    out = df.copy()
    for col in _text_columns(out):
        out[col] = out[col].map(unescape_cell)
    return out


def to_csv_safe(df: pd.DataFrame, path: Path | None = None, **to_csv_kwargs: Any) -> str:
    """CSV text of `csv_safe(df)` (index off by default); written atomically when `path` is given."""
    to_csv_kwargs.setdefault("index", False)
    # RFC 4180 CRLF: with pandas' default "\n" a lone CR inside a cell is left unquoted,
    # and readers then split the row in two.
    to_csv_kwargs.setdefault("lineterminator", "\r\n")
    text = _plain_csv(df) if to_csv_kwargs == _PLAIN_CSV else None
    if text is None:
        buf = io.StringIO()
        csv_safe(df).to_csv(buf, **to_csv_kwargs)
        text = buf.getvalue()
    if path is not None:
        atomic_write_text(Path(path), text)
    return text


# --------------------------------------------------- the common CSV, column by column

# What pandas writes for to_csv_safe's defaults (no index, CRLF, minimal quoting, NA as ''), built one column at
# a time from each column's distinct values: pandas' writer formats and quotes ~10M cells one by one for the
# claims table of 1,000 documents, and csv_safe copies the table and reads its distinct values first.
_PLAIN_CSV = {"index": False, "lineterminator": "\r\n"}
_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def _plain_csv(df: pd.DataFrame) -> str | None:
    """`csv_safe(df).to_csv(index=False, lineterminator="\r\n")`, byte for byte; None for a frame whose
    columns are not all str/None text, floats, ints or bools (pandas writes those)."""
    if len(df) == 0 or len(df.columns) < 2 or not all(isinstance(c, str) for c in df.columns) \
            or df.columns.has_duplicates:
        return None   # a one-column row of '' is written quoted; names and empty frames: pandas' way
    columns = []
    for name in df.columns:
        cells = _csv_cells(df[name])
        if cells is None:
            return None
        columns.append(cells.tolist())
    header = ",".join(_quoted(c) for c in df.columns)
    return header + "\r\n" + "\r\n".join(map(",".join, zip(*columns, strict=True))) + "\r\n"


def _csv_cells(column: pd.Series) -> Any:
    """One column's CSV cells (an object array), each distinct value formatted, escaped and quoted once."""
    values = column.to_numpy()
    kind = values.dtype.kind if column.dtype == values.dtype else "?"   # extension dtypes: pandas' way
    if kind == "f" and values.dtype == np.float64:   # by bit pattern: -0.0 and 0.0 are written differently
        codes, uniques = pd.factorize(np.ascontiguousarray(values).view(np.int64))
        floats = uniques.view(np.float64)
        texts = np.where(np.isnan(floats), "", floats.astype(str)).astype(object)
    elif kind in ("i", "u", "b"):
        codes, uniques = pd.factorize(values)
        texts = uniques.astype(str).astype(object)
    elif kind == "O":
        try:
            codes, uniques = pd.factorize(values)   # None and NaN: code -1, written as ''
        except TypeError:   # an unhashable cell
            return None
        if not all(isinstance(v, str) for v in uniques):
            return None
        if len(uniques) and not ((uniques[codes] == values) | (codes == -1)).all():
            return None   # pandas' hash table takes '' and '\0' (text up to a NUL) for one value
        distinct = cast(list[str], uniques.tolist())
        texts = np.array([_quoted(_ESCAPE + v if needs_escape(v) else v) for v in distinct] + [""], dtype=object)
        return texts[codes]
    else:
        return None
    return np.append(texts, "")[codes]   # code -1 (a missing value) takes the '' at the end


def _quoted(text: str) -> str:
    """A cell as the csv module's minimal quoting writes it (delimiter ',', quote '"', CRLF lines)."""
    if not _NEEDS_QUOTES.search(text):
        return text
    return '"' + text.replace('"', '""') + '"'


def read_csv_safe(path: Path | str | io.IOBase, **read_csv_kwargs: Any) -> pd.DataFrame:
    """`pd.read_csv` that undoes `csv_safe`. Pass `dtype=str, keep_default_na=False` for exact strings."""
    # a file object is a buffer read_csv accepts; no caller asks for a chunked reader (iterator/chunksize).
    # We write no blank lines: a line of spaces is a one-column table's cell of spaces, not a gap to skip.
    read_csv_kwargs.setdefault("skip_blank_lines", False)
    return csv_unsafe(cast(pd.DataFrame, pd.read_csv(path, **read_csv_kwargs)))  # type: ignore[arg-type]


# ------------------------------------------------------------- single files


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never a part."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    # os.open with 0o666 honours the umask, unlike mkstemp's 0600.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(Path(path), text.encode(encoding))


# ------------------------------------------------------------- output sets

_STAGING_PREFIX = ".staging-"
_SWAP_PREFIX = ".swap-"
_KEEP_PREVIOUS_GENERATION = True  # one step of grace for readers that pinned the old set


def generations_dir(out_dir: Path) -> Path:
    """`out.d/` beside `out/`: holds the generations the `out` symlink points into."""
    return out_dir.parent / f"{out_dir.name}.d"


def _new_generation_name() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def _pid_of(name: str, prefix: str) -> int | None:
    """The writer pid embedded in a staging/swap name, e.g. `.staging-<pid>-<hex>`."""
    try:
        return int(name[len(prefix):].split("-", 1)[0])
    except ValueError:
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _abandoned(name: str, prefix: str) -> bool:
    pid = _pid_of(name, prefix)
    return pid is None or not pid_alive(pid)


def current_generation(out_dir: Path) -> Path | None:
    """The generation directory `out/` points to, or None when it is not our symlink."""
    if not out_dir.is_symlink():
        return None
    target = (out_dir.parent / os.readlink(out_dir)).resolve()
    return target if target.parent == generations_dir(out_dir).resolve() else None


def pin_output_set(out_dir: Path) -> Path:
    """A stable path to the set `out/` shows now: read several files from it consistently."""
    return current_generation(Path(out_dir)) or Path(out_dir)


def _fsync_tree(root: Path) -> None:
    """fsync every file, then every directory bottom-up, so the rename publishes durable data."""
    for dirpath, _dirnames, filenames in os.walk(root, topdown=False):
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _rename_exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE). False when unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EPERM, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _point_symlink(out_dir: Path, generation: Path) -> Path | None:
    """Make `out` point at `generation` with one atomic rename.

    A real `out/` directory (older versions) is migrated into `out.d/` and its new
    path returned, so it is kept as the previous generation.
    """
    parent = out_dir.parent
    link = parent / f"{_SWAP_PREFIX}{out_dir.name}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    os.symlink(os.path.relpath(generation, parent), link)
    migrated = None
    if out_dir.is_dir() and not out_dir.is_symlink():
        migrated = _migrate_real_dir(out_dir, link)
    else:
        os.replace(link, out_dir)  # replaces an old symlink (or nothing) atomically
    _fsync_dir(parent)
    return migrated


def _migrate_real_dir(out_dir: Path, link: Path) -> Path:
    legacy = generations_dir(out_dir) / f"{_new_generation_name()}-legacy"
    if _rename_exchange(link, out_dir):
        os.rename(link, legacy)  # after the exchange `link` names the old directory
        return legacy
    # Without RENAME_EXCHANGE there is a moment with no `out/` at all, but never a mix.
    os.rename(out_dir, legacy)
    os.replace(link, out_dir)
    return legacy


def _prune(out_dir: Path, survivors: set[Path]) -> None:
    """Delete old generations and staging/swap debris left by dead or finished writers."""
    gens = generations_dir(out_dir)
    survivors = {p.resolve() for p in survivors}
    for path in gens.iterdir():
        if not path.name.startswith(".") and path.resolve() not in survivors:
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(_STAGING_PREFIX) and _abandoned(path.name, _STAGING_PREFIX):
            shutil.rmtree(path, ignore_errors=True)
    swap_prefix = f"{_SWAP_PREFIX}{out_dir.name}-"
    for path in out_dir.parent.iterdir():
        if path.name.startswith(swap_prefix) and _abandoned(path.name, swap_prefix):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _carry_over(previous: Path | None, staging: Path, names: set[str]) -> None:
    """Copy `names` from the current set into staging, unless the caller wrote them anew."""
    if previous is None:
        return
    for name in sorted(names):
        src, dst = previous / name, staging / _safe_relative(name)
        if dst.exists() or not src.exists():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copy2(src, dst)


def _commit(out_dir: Path, staging: Path, keep: set[str]) -> Path:
    previous = current_generation(out_dir)
    if previous is None and out_dir.is_dir() and not out_dir.is_symlink():
        previous = out_dir  # a real out/ from an older version: carry from it too
    _carry_over(previous, staging, keep)
    _fsync_tree(staging)
    generation = generations_dir(out_dir) / _new_generation_name()
    os.rename(staging, generation)  # a complete generation appears under its final name at once
    _fsync_dir(generation.parent)
    migrated = _point_symlink(out_dir, generation)
    survivors = {generation}
    if _KEEP_PREVIOUS_GENERATION:
        survivors |= {p for p in (migrated, _generation_or_none(previous, out_dir)) if p}
    _prune(out_dir, survivors)
    return generation


def _generation_or_none(previous: Path | None, out_dir: Path) -> Path | None:
    """`previous` when it is a generation inside out.d/ (not a migrated real dir)."""
    if previous is not None and previous.parent.resolve() == generations_dir(out_dir).resolve():
        return previous
    return None


@contextmanager
def _commit_lock(gens: Path) -> Iterator[None]:
    """Serialise commits, so one writer's pruning never deletes another's fresh generation."""
    with open(gens / ".commit.lock", "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextmanager
def output_set(out_dir: Path, *, keep: set[str] | None = None) -> Iterator[Path]:
    """Yield an empty staging directory; on success it becomes the whole of `out_dir` atomically.

    `keep` names entries of the current set (files or folders, relative paths) that are
    copied into the new set when the caller did not write them. On any exception the
    staging directory is deleted and `out_dir` is left exactly as it was.
    """
    out_dir = Path(out_dir).absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    gens = generations_dir(out_dir)
    gens.mkdir(exist_ok=True)
    staging = gens / f"{_STAGING_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        with _commit_lock(gens):
            _commit(out_dir, staging, set(keep or ()))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _safe_relative(name: str) -> Path:
    """An output name as a path that stays inside the set (no absolute paths, no `..`)."""
    rel = Path(name)
    if rel.is_absolute() or not rel.parts or any(part in ("..", "") for part in rel.parts):
        raise ValueError(f"output name must be a relative path inside the set: {name!r}")
    return rel


def write_output_set(out_dir: Path, files: Mapping[str, bytes | str], *,
                     keep: set[str] | None = None, dirs: Mapping[str, Path] | None = None) -> None:
    """Replace the whole set in `out_dir` with `files` (name → content, `a/b.txt` allowed)
    plus copies of `dirs` (name → existing folder), atomically as one set."""
    with output_set(out_dir, keep=keep) as staging:
        for name, content in sorted(files.items()):
            path = staging / _safe_relative(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        for name, source in sorted((dirs or {}).items()):
            shutil.copytree(source, staging / _safe_relative(name), dirs_exist_ok=True)


# ------------------------------------------------------------------ run lock


def lock_path_for(target: Path) -> Path:
    """The lock file for a directory: beside it (`.out.lock`), so it survives the out/ swap."""
    target = Path(target).absolute()
    if target.suffix == ".lock":
        return target
    return target.parent / f".{target.name}.lock"


class RunLock:
    """An exclusive lock so two runs on the same out/ (or home) never interleave writes.

    `fcntl.flock` does the locking, so the kernel releases it when the holder dies, however
    it dies: a lock left by a dead pid is simply taken over (`took_over_from` says whose).
    The holder's pid, host and start time are written inside for the refusal message.
    `timeout=0` refuses at once; otherwise it waits up to `timeout` seconds.
    """

    def __init__(self, target: Path, *, timeout: float = 0.0, poll_interval: float = 0.1):
        self.path = lock_path_for(Path(target))
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.took_over_from: dict[str, str] | None = None
        self._fh: io.TextIOWrapper | None = None

    def acquire(self) -> RunLock:
        if self._fh is not None:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = read_lock_holder(self.path)
                    fh.close()
                    raise self._locked_error(holder) from None
                time.sleep(self.poll_interval)
        self._record_holder(fh)
        self._fh = fh
        return self

    def _record_holder(self, fh: io.TextIOWrapper) -> None:
        previous = read_lock_holder(self.path)
        if previous.get("pid"):
            self.took_over_from = previous  # the lock was free, so that holder is gone
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid={os.getpid()}\nhost={socket.gethostname()}\n"
                 f"started={datetime.now(UTC).isoformat(timespec='seconds')}\n")
        fh.flush()
        os.fsync(fh.fileno())

    def _locked_error(self, holder: dict[str, str]) -> RunLockedError:
        pid = holder.get("pid", "unknown")
        who = f"pid {pid}"
        if holder.get("host"):
            who += f" on {holder['host']}"
        if holder.get("started"):
            who += f", started {holder['started']}"
        waited = f" after waiting {self.timeout:g}s" if self.timeout > 0 else ""
        return RunLockedError(
            f"another reconcile run ({who}) holds this lock{waited}",
            file=self.path,
            hint=f"wait for it to finish (or stop pid {pid}), then run again")

    def release(self) -> None:
        if self._fh is None:
            return
        # Empty the file but keep it: deleting a flock'd file lets two runs lock two inodes.
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.flush()
        fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        self._fh.close()
        self._fh = None

    @property
    def held(self) -> bool:
        return self._fh is not None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def read_lock_holder(path: Path) -> dict[str, str]:
    """The `key=value` lines a holder wrote into the lock file (empty when free or unreadable)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


@contextmanager
def run_locks(*targets: Path, timeout: float = 0.0) -> Iterator[list[RunLock]]:
    """Hold the locks of several targets (e.g. home and out/), taken in a fixed order."""
    paths = sorted({lock_path_for(Path(t)) for t in targets})
    held: list[RunLock] = []
    try:
        for path in paths:
            held.append(RunLock(path, timeout=timeout).acquire())
        yield held
    finally:
        for lock in reversed(held):
            lock.release()


__all__ = [
    "RunLock", "RunLockedError", "atomic_write_bytes", "atomic_write_text",
    "csv_safe", "csv_unsafe", "current_generation", "generations_dir", "lock_path_for",
    "output_set", "pin_output_set", "read_csv_safe", "read_lock_holder", "run_locks",
    "to_csv_safe", "write_output_set",
]
