"""Installing the project (issue 12 item 12): the editable install `make run` does prints no setuptools warning.

Two top-level roots (`src/reconcile` and a top-level `pipelines`) made setuptools fall back to a meta path
finder and print its `InformationOnly: Editable installation` banner on every first `make run`. With one
src-layout root it writes a plain .pth file and says nothing. The install is real (a throwaway venv, build
isolation as pip does it by default); `--no-deps` keeps it to the project itself.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WARNING_SIGNS = ("InformationOnly", "BuildBackendWarning", "SetuptoolsWarning", "SetuptoolsDeprecationWarning",
                 "Please be careful", "meta path finder", "!!")


def test_an_editable_install_prints_no_setuptools_warning_and_finds_both_packages(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")
    done = subprocess.run([python, "-m", "pip", "install", "-v", "--no-deps", "--disable-pip-version-check",
                           "-e", str(REPO)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    output = done.stdout + done.stderr
    signs = [line for line in output.splitlines() if any(sign in line for sign in WARNING_SIGNS)]
    assert not signs, "\n".join(signs)
    found = subprocess.run([python, "-c", "import importlib.util as u; "
                            "print(u.find_spec('reconcile').origin); print(u.find_spec('pipelines').origin)"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    reconcile_origin, pipelines_origin = found.stdout.split()
    assert Path(reconcile_origin).resolve().is_relative_to(REPO)
    assert Path(pipelines_origin).resolve().is_relative_to(REPO)
