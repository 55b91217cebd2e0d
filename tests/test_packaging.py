"""How a baked project is installed: its shipped uv.lock, `uv sync --locked` on each Python the
machine has (the suite with every warning an error), the lowest versions its pyproject.toml
allows, and a wheel that runs on its own, outside the project folder."""

import glob
import os
import shutil
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import VARIANTS
from tests.postgres import free_port
from tests.production import Server, wait_for

TEMPLATE = Path(__file__).resolve().parent.parent
UV = str(Path(sys.executable).parent / "uv")
# The interpreters the generated suites run on besides this one (3.11): pyenv's on this machine
# and on CI, else uv finds or downloads one.
OTHER_PYTHONS = ["3.12", "3.13"]


def python_for(version: str) -> str:
    found = sorted(glob.glob(f"/root/.pyenv/versions/{version}.*/bin/python{version}"))
    return found[-1] if found else shutil.which(f"python{version}") or version


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A command as a developer runs it: no AKENEO_*, no pytest options or venv of this run."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AKENEO_", "PYTEST_", "VIRTUAL_ENV", "UV_"))
    }
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**environment, **env},
        timeout=900,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


# --- The shipped lock --------------------------------------------------------------------------


def test_the_shipped_lock_matches_the_pyproject_of_every_bake(baked: Path) -> None:
    # Offline: checking needs nothing but the two files. A failure means the generated
    # pyproject.toml changed without its locks: run `python -m tests.locks`.
    result = run([UV, "lock", "--check", "--offline"], baked)

    assert result.returncode == 0, result.stderr
    lock = tomllib.loads((baked / "uv.lock").read_text())
    [root] = [package for package in lock["package"] if package["source"] == {"editable": "."}]
    assert root["name"] == baked.name


def locked_versions(lock: Path) -> dict[str, Version]:
    return {
        canonicalize_name(package["name"]): Version(package["version"])
        for package in tomllib.loads(lock.read_text())["package"]
        if "version" in package
    }


def test_the_template_tools_are_locked_and_exported_for_pip(tmp_path: Path) -> None:
    ok(run([UV, "lock", "--check", "--offline"], TEMPLATE))
    exported = tmp_path / "requirements.txt"
    ok(run([UV, "export", "--locked", "--no-emit-project", "-q", "-o", str(exported)], TEMPLATE))

    def pins(path: Path) -> list[str]:
        return [line for line in path.read_text().splitlines() if not line.startswith("#")]

    # Not equal: run `uv export --no-emit-project --quiet --output-file requirements-dev.txt`.
    assert pins(TEMPLATE / "requirements-dev.txt") == pins(exported)


def test_the_template_lock_satisfies_every_dependency_of_a_bake(baked: Path) -> None:
    """The template's tests run each bake's suite and tools with the template's own tools."""
    pyproject = tomllib.loads((baked / "pyproject.toml").read_text())
    requirements = [
        *pyproject["project"]["dependencies"],
        *pyproject["project"]["optional-dependencies"]["postgres"],
        *pyproject["dependency-groups"]["dev"],
    ]
    locked = locked_versions(TEMPLATE / "uv.lock")

    for requirement in map(Requirement, requirements):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name}: add it to the template's pyproject.toml"
        assert requirement.specifier.contains(locked[name]), f"{requirement}: {locked[name]}"


# --- uv sync --locked && uv run pytest, on each Python, every warning an error -----------------


@pytest.mark.slow
@pytest.mark.parametrize("version", OTHER_PYTHONS)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_suite_passes_with_uv_on_each_python_with_warnings_as_errors(
    cookies, tmp_path: Path, variant: str, version: str
) -> None:
    """One install per interpreter and variant: `uv sync --locked`, then `uv run pytest` (the
    project's pytest configuration makes every warning an error)."""
    result = cookies.bake(extra_context={**VARIANTS[variant], "project_name": f"On {version}"})
    project = Path(result.project_path)
    python = python_for(version)

    ok(run([UV, "sync", "--locked", "--python", python], project))
    tests = run([UV, "run", "--locked", "pytest", "-q", "-p", "no:cacheprovider"], project)

    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-3000:]
    ran_on = ok(
        run([UV, "run", "--no-sync", "python", "-c", "import sys; print(sys.version)"], project)
    )
    assert ran_on.startswith(version), ran_on
    assert "Required test coverage of 95% reached" in tests.stdout
    assert " warning" not in tests.stdout.splitlines()[-1]


# --- The lowest versions pyproject.toml allows -------------------------------------------------


@pytest.mark.slow
def test_the_lowest_direct_versions_pass_the_tests_ruff_and_mypy(cookies) -> None:
    """Every floor of pyproject.toml is true: with each direct dependency at its lowest allowed
    release, the suite, ruff and mypy pass (FastAPI with OpenID: the most dependencies)."""
    result = cookies.bake(
        extra_context={**VARIANTS["fastapi-openid"], "project_name": "Lowest Floors"}
    )
    project = Path(result.project_path)
    ok(run([UV, "sync", "--resolution", "lowest-direct", "--python", sys.executable], project))

    for command in (
        ["pytest", "-q", "-p", "no:cacheprovider"],
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["mypy"],
    ):
        ok(run([UV, "run", "--no-sync", *command], project))


# --- A wheel that runs on its own --------------------------------------------------------------


@contextmanager
def started(command: list[str], cwd: Path, venv: Path, log: Path, port: int) -> Iterator[Server]:
    """`command` from the installed wheel's venv, in `cwd`, on HOST and PORT, until the block
    ends."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AKENEO_", "PYTHON", "VIRTUAL_ENV"))
    }
    environment |= {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOST": "127.0.0.1"}
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env={**environment, "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    try:
        yield Server(process, f"http://127.0.0.1:{port}", log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)


@pytest.mark.slow
@pytest.mark.parametrize("baked", ["fastapi", "flask"], indirect=True)
def test_the_built_wheel_migrates_and_serves_outside_the_project(
    baked: Path, tmp_path: Path
) -> None:
    dist, venv, elsewhere = tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    ok(run([UV, "build", "--wheel", "--out-dir", str(dist)], baked))
    [wheel] = dist.glob("*.whl")
    ok(run([UV, "venv", "--python", sys.executable, str(venv)], tmp_path))
    locked = tmp_path / "requirements.txt"
    ok(run([UV, "export", "--locked", "--no-dev", "--no-emit-project", "-o", str(locked)], baked))
    ok(run([UV, "pip", "install", "--python", str(venv), "-r", str(locked), str(wheel)], tmp_path))
    # Only what a deployment has: .env and the production server's configuration.
    elsewhere.mkdir()
    shutil.copy(baked / ".env", elsewhere / ".env")
    server_files = ["gunicorn.conf.py"] if "flask" in baked.name else ["logging.json"]
    for name in server_files:
        shutil.copy(baked / name, elsewhere / name)
    package = baked.name.replace("-", "_")

    development_command = [str(venv / "bin" / "python"), "-m", package]
    with started(
        development_command, elsewhere, venv, tmp_path / "dev.log", free_port()
    ) as development:
        assert wait_for(development).json() == {"status": "ok"}
    assert "Traceback" not in development.output()

    port = free_port()
    if "flask" in baked.name:
        production = [str(venv / "bin" / "gunicorn"), "--config", "gunicorn.conf.py"]
    else:  # the README's command, with HOST and PORT
        production = [str(venv / "bin" / "uvicorn"), f"{package}.app:create_app", "--factory"]
        production += ["--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers"]
        production += ["--log-config", "logging.json"]
    with started(production, elsewhere, venv, tmp_path / "production.log", port) as server:
        assert wait_for(server).json() == {"status": "ok"}
    assert "Traceback" not in server.output()
    installed = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    migrations = installed / "site-packages" / package / "migrations" / "versions"
    assert sorted(path.name for path in migrations.glob("0*.py"))
