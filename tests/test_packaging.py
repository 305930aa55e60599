"""The bot as someone installs it: a built wheel, in a fresh virtual environment, run from
a folder that is not the checkout (so nothing is found by accident beside the code)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

from tests.emulator.mutations import copy_project

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_package_list_names_every_package_folder() -> None:
    folders = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("bot", "cogs")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert set(PYPROJECT["tool"]["setuptools"]["packages"]) == folders | {"bot.data"}


def test_the_wheel_carries_data_and_runs_the_simulation_from_elsewhere(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path / "dist")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    data = ROOT / "data"
    for path in data.rglob("*"):
        if path.is_file():
            assert f"bot/data/{path.relative_to(data).as_posix()}" in shipped, path

    python = _fresh_venv(tmp_path / "venv", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    found = _run([str(python), "-c", "import bot; print(bot.__file__)"], elsewhere, env)
    assert Path(found.stdout.strip()).is_relative_to(tmp_path / "venv")  # not the checkout
    simulated = _run([str(python.parent / "iln-bot"), "simulate"], elsewhere, env)
    assert "Summary of round 2027A" in simulated.stdout
    assert "40 applicants" in simulated.stdout
    assert "Traceback" not in simulated.stderr


def _build_wheel(folder: Path) -> Path:
    """Built from a copy of the project's files, so no build/ folder left by an earlier
    build can add a file that is gone; with this environment's setuptools (no download)."""
    source = copy_project(folder.parent / "source")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    _run([*command, "--quiet", "--wheel-dir", str(folder), str(source)], ROOT, dict(os.environ))
    [wheel] = folder.glob("iln_bot-*.whl")
    return wheel


def _fresh_venv(folder: Path, wheel: Path) -> Path:
    """A new environment holding only the wheel; its dependencies are borrowed from this
    one through a path file (added to ``sys.path`` after the venv's own site-packages, and
    without running this environment's own path files, so its editable install of the
    bot stays out)."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(folder)], ROOT, dict(os.environ))
    python = folder / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            ROOT,
            dict(os.environ),
        ).stdout.strip()
    )
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
    _run([*install, "--quiet", str(wheel)], ROOT, dict(os.environ))
    return python


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"{command[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done
