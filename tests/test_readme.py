"""The README's commands work as a newcomer runs them after `make run` (issue 12 items 1 and 2).

Every shell block of the README (fenced `sh` blocks and indented code blocks) is read here:
- each program it names exists: a make target in the Makefile, or a program in `.venv/bin` (named
  after the README has told the reader to `. .venv/bin/activate`), or a file in the checkout;
- the cheap commands then run for real, in a fresh folder with a finished run of the bundled sources, in a
  shell that activated the venv exactly as the README says: the queue, the history, the DuckDB query
  (item 2: there is no `duckdb` command, the Python package is the way) and `--help` of every subcommand.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = REPO / ".venv" / "bin"
ACTIVATE = ". .venv/bin/activate"
# example ids and files a reader substitutes
PLACEHOLDER = re.compile(r"k-…|k-1a2b3c4d5e6f|c-1a2b3c4d5e6f|decisions\.yaml")


def readme_commands() -> list[tuple[int, str]]:
    """(line number, command) of every shell line in the README, continuations joined, comments dropped."""
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    commands, fence, pending, start = [], None, "", 0
    for n, line in enumerate(lines, 1):
        if line.startswith("```"):
            fence = None if fence is not None else line[3:].strip()
            continue
        in_sh = fence in ("sh", "bash", "shell", "console")
        indented = fence is None and line.startswith("    ") and not line.lstrip().startswith(("-", "|", "*"))
        if not (in_sh or indented) or not line.strip():
            continue
        text = line[4:] if indented else line
        start = start or n
        if text.rstrip().endswith("\\"):
            pending += text.rstrip()[:-1] + " "
            continue
        command = _strip_comment(pending + text).strip()
        pending = ""
        if command:
            commands.append((start, command))
        start = 0
    return commands


def _strip_comment(command: str) -> str:
    """The README aligns its comments after two or more spaces: `reconcile history [k-…]   # ...`."""
    return re.split(r"\s{2,}#", command)[0]


def make_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Za-z][\w-]*)\s*:(?!=)", text, re.M)}


def test_the_readme_tells_the_reader_to_activate_the_venv_before_its_first_venv_command():
    commands = readme_commands()
    activated = [n for n, c in commands if c == ACTIVATE]
    assert activated, f"the README never shows `{ACTIVATE}`"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_mention = readme[: readme.index(ACTIVATE)].count("\n") + 1
    venv_uses = [n for n, c in commands if shlex.split(c)[0] in ("reconcile", "python")]
    assert venv_uses and first_mention <= min(venv_uses)


@pytest.mark.parametrize("line,command", readme_commands(), ids=lambda v: str(v)[:50])
def test_every_program_the_readme_names_exists_after_make_run(line, command):
    program = shlex.split(command)[0]
    if program == "make":
        target = shlex.split(command)[1]
        assert target in make_targets(), f"README.md:{line}: no make target '{target}'"
    elif program == ".":
        assert (REPO / shlex.split(command)[1]).is_file(), f"README.md:{line}: {command}"
    elif "/" in program:
        assert (REPO / program).is_file() and os.access(REPO / program, os.X_OK), f"README.md:{line}: {program}"
    else:
        assert (VENV_BIN / program).is_file(), f"README.md:{line}: `{program}` is not in .venv/bin ({command})"


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory):
    """A folder like a fresh clone after `make run`: the bundled sources reconciled into out/, state in .reconcile/."""
    work = tmp_path_factory.mktemp("newcomer")
    shutil.copytree(REPO / "sources", work / "sources")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECONCILE_", "DAGSTER_"))}
    env["HOME"] = str(work)
    done = subprocess.run([str(VENV_BIN / "reconcile"), "run", "--sources", "sources", "--out", "out"], cwd=work,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (work / ".venv").symlink_to(REPO / ".venv")  # `. .venv/bin/activate` as written, from this folder
    shared = work.parent / "shared"
    if (REPO.parent / "shared").is_dir() and not shared.exists():
        shared.symlink_to(REPO.parent / "shared")  # ../shared beside the clone, as CI has it
    return work, env


def _runnable() -> list[tuple[int, str]]:
    """The README's cheap commands, as written; example ids, writes, the server and prompts become `--help`."""
    out = []
    for line, command in readme_commands():
        command = re.sub(r"\s*\[[^\]]*\]", "", command)  # `history [k-…]`: the optional part left out
        words = shlex.split(command)
        if words[0] not in ("reconcile", "python") or words[:2] == ["reconcile", "run"]:
            continue
        if words[0] == "python" and words[1].startswith("../shared/"):
            command = f"python {words[1]} --help"  # the scorer needs a run of the corpus: test_real_dev_corpus
        elif PLACEHOLDER.search(command) or words[1] in ("approve", "dismiss", "reopen", "misread", "serve",
                                                                  "users"):
            command = " ".join(w for w in words[:3] if not w.startswith(("k-", "-")) and not w.endswith(".yaml"))
            command += " --help"
        out.append((line, command))
    return out


@pytest.mark.parametrize("line,command", _runnable(), ids=lambda v: str(v)[:50])
def test_the_readme_commands_run_in_an_activated_shell(newcomer, line, command):
    work, env = newcomer
    done = subprocess.run(["bash", "-c", f"{ACTIVATE} && {command}"], cwd=work, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"README.md:{line}: {command}\n{done.stdout[-1500:]}{done.stderr[-1500:]}"
    assert "Traceback" not in done.stderr
    if "duckdb" in command:
        assert "kind" in done.stdout and "severity" in done.stdout
