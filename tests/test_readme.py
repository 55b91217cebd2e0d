"""The quick start's two commands, exactly as README.md shows them, on a stock Debian Python.

Debian's /usr/bin/python3 refuses global installs (PEP 668's EXTERNALLY-MANAGED marker) and
has nothing installed but `python3-venv`, as on a fresh machine. The commands are read from the
README (see readme_commands.py), run by bash in a copy of this template, with a PATH where
`python3` is that Python.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.readme_commands import README, quick_start_commands

TEMPLATE = Path(__file__).resolve().parent.parent
STOCK_PYTHON = Path("/usr/bin/python3")
# Local artefacts of a working copy that a fresh clone does not have.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", "akeneo-start-app", "__pycache__", ".*_cache"
)
# The README's test command runs the whole suite, this test included: here it runs two tests
# that need every package requirements-dev.txt installs (a bake, and a generated suite).
SOME_TEMPLATE_TESTS = (
    '-m "not slow" tests/test_bake.py::test_the_default_bake_is_a_fastapi_project '
    '"tests/test_bake.py::test_the_projects_own_tests_pass[fastapi]"'
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stock_environment(**extra: str) -> dict[str, str]:
    """This machine's environment without any Python or virtualenv of ours on the PATH."""
    prefixes = ("AKENEO_", "PYTHON", "VIRTUAL_ENV", "PYENV", "PYTEST")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return {**environment, "PATH": f"{STOCK_PYTHON.parent}:/bin", **extra}


def wait_for_welcome_page(url: str, server: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 900  # installing the packages takes most of it
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"the quick start stopped ({server.returncode}):\n{log.read_text()}")
            try:
                page = client.get(url)
            except httpx.TransportError:
                time.sleep(1)
                continue
            assert page.status_code == 200, page.text
            return page.text
    pytest.fail(f"the App never answered on {url}:\n{log.read_text()[-3000:]}")


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    copy = tmp_path / "akeneo-start-app-template"
    shutil.copytree(TEMPLATE, copy, ignore=NOT_IN_A_CLONE)
    return copy


def test_the_stock_python_refuses_global_installs() -> None:
    refused = subprocess.run(
        ["python3", "-m", "pip", "install", "--dry-run", "cookiecutter"],
        env=stock_environment(),
        capture_output=True,
        text=True,
    )

    assert refused.returncode != 0
    assert "externally-managed-environment" in refused.stdout + refused.stderr


def test_the_quick_start_commands_are_two_single_lines() -> None:
    commands = quick_start_commands(README.read_text())

    assert commands["generate"].startswith("python3 -m venv .venv && ")
    assert commands["generate"].endswith(".venv/bin/python -m akeneo_start_app")
    assert commands["test"].startswith("python3 -m venv .venv && ")
    for command in commands.values():
        # A stock Debian has python3 only; `python` is run from a virtual environment.
        assert not re.search(r"(^|&& )python ", command), command


@pytest.mark.slow
def test_the_readme_commands_work_verbatim_on_a_python_that_refuses_global_installs(
    clone: Path, tmp_path: Path
) -> None:
    commands = quick_start_commands((clone / "README.md").read_text())
    port = free_port()
    log = tmp_path / "quick-start.log"

    with log.open("wb") as output:
        quick_start = subprocess.Popen(
            ["bash", "-c", commands["generate"]],
            cwd=clone,
            env=stock_environment(PORT=str(port)),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the App is stopped with it
        )
        try:
            welcome = wait_for_welcome_page(f"http://127.0.0.1:{port}/", quick_start, log)
        finally:
            os.killpg(quick_start.pid, signal.SIGTERM)
            quick_start.wait(timeout=30)

    project = clone / "akeneo-start-app"
    assert "Welcome to Akeneo Start App" in welcome
    assert f"<code>{project / '.env'}</code>" in welcome
    assert "<strong>missing</strong>" in welcome  # the default bake has no credentials
    assert (project / ".venv" / "bin" / "pytest").exists()

    tests = subprocess.run(
        ["bash", "-c", commands["test"]],
        cwd=clone,
        env=stock_environment(PYTEST_ADDOPTS=SOME_TEMPLATE_TESTS),
        capture_output=True,
        text=True,
        timeout=1200,
    )

    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-3000:]
    assert "2 passed" in tests.stdout
