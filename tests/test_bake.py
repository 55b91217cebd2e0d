"""Baking the template: files, .env, no secrets elsewhere, lint, and the project's own tests."""

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLIENT_ID, CLIENT_SECRET

TEMPLATE = Path(__file__).parent.parent
# Jinja left unrendered. The App's page templates are copied verbatim and are Jinja on purpose.
UNRENDERED = re.compile(r"\{\{\s*cookiecutter|\{%-?\s|\{#")


def project_files(project: Path) -> list[Path]:
    skipped = {".env", ".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache"}
    return [
        path
        for path in sorted(project.rglob("*"))
        if path.is_file()
        and not skipped.intersection(path.relative_to(project).parts)
        and path.suffix not in (".db", ".pyc")
        and path.name != ".coverage"
    ]


def read_env(project: Path) -> dict[str, str]:
    values = {}
    for line in (project / ".env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value.strip('"')
    return values


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # The generated project's tools run as a developer runs them: without this run's options.
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("AKENEO_", "PYTEST_ADDOPTS"))
    }
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env={**environment, **env}, timeout=600
    )


def test_the_default_bake_is_a_fastapi_project(cookies) -> None:
    result = cookies.bake()

    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    assert project.name == "akeneo-start-app"
    assert (project / "src" / "akeneo_start_app" / "app.py").exists()
    assert "fastapi" in (project / "pyproject.toml").read_text()


def test_expected_files(baked: Path) -> None:
    package = baked / "src" / baked.name.replace("-", "_")
    for path in [
        "pyproject.toml",
        "README.md",
        ".gitignore",
        ".env",
        ".env.example",
        "uv.lock",
        "tests/conftest.py",
        "tests/fake_pim.py",
    ]:
        assert (baked / path).is_file(), path
    for module in [
        "__init__.py",
        "__main__.py",
        "app.py",
        "flow.py",
        "settings.py",
        "storage.py",
        "logs.py",
        "migrations/env.py",
        "migrations/script.py.mako",
        "akeneo/oauth.py",
        "akeneo/pim_url.py",
        "templates/base.html",
        "static/style.css",
    ]:
        assert (package / module).is_file(), module
    assert not (baked / "_variants").exists()
    assert not (baked / "migrations").exists()  # in the package, so that a wheel has them


def test_nothing_is_left_unrendered(baked: Path) -> None:
    for path in project_files(baked):
        if "templates" in path.parts:
            continue
        assert not UNRENDERED.search(path.read_text()), path


def test_the_env_file_holds_the_answers_and_fresh_secrets(baked: Path, cookies) -> None:
    env = read_env(baked)

    assert stat.S_IMODE((baked / ".env").stat().st_mode) == 0o600
    assert env["AKENEO_CLIENT_ID"] == CLIENT_ID
    assert env["AKENEO_CLIENT_SECRET"] == CLIENT_SECRET
    assert env["AKENEO_ALLOWED_PIM_URLS"] == "https://my-sandbox.cloud.akeneo.com"
    assert env["AKENEO_SCOPES"] == "read_channel_localization read_channel_settings"
    assert env["DATABASE_URL"] == "sqlite:///app.db"
    assert len(env["SECRET_KEY"]) >= 32
    assert len(env["TOKEN_ENCRYPTION_KEYS"]) == 44
    openid = "openid" in baked.name
    assert ("AKENEO_OPENID_CONNECT" in env) is openid
    other = Path(cookies.bake(extra_context={"project_name": "Other"}).project_path)
    assert read_env(other)["SECRET_KEY"] != env["SECRET_KEY"]
    assert read_env(other)["TOKEN_ENCRYPTION_KEYS"] != env["TOKEN_ENCRYPTION_KEYS"]


def test_the_env_example_documents_every_variable_without_secrets(baked: Path) -> None:
    example = (baked / ".env.example").read_text()
    env = read_env(baked)

    for name in env:
        assert f"\n{name}=" in example, name
    for secret in (CLIENT_ID, CLIENT_SECRET, env["SECRET_KEY"], env["TOKEN_ENCRYPTION_KEYS"]):
        assert secret not in example


def test_no_secret_in_any_file_but_env(baked: Path) -> None:
    env = read_env(baked)
    secrets = [CLIENT_SECRET, env["SECRET_KEY"], env["TOKEN_ENCRYPTION_KEYS"]]

    for path in project_files(baked):
        text = path.read_text()
        for secret in secrets:
            assert secret not in text, path
    assert ".env" in (baked / ".gitignore").read_text().splitlines()


def test_only_the_chosen_framework_is_present(baked: Path) -> None:
    other = "flask" if baked.name.endswith(("fastapi", "fastapi-openid")) else "fastapi"
    words = {"flask": ["flask", "werkzeug"], "fastapi": ["fastapi", "starlette", "uvicorn"]}[other]

    for path in project_files(baked):
        text = path.read_text().lower()
        for word in words:
            assert word not in text, f"{word} in {path}"


@pytest.mark.parametrize("baked", ["fastapi", "flask"], indirect=True)
def test_without_openid_there_is_no_openid_code(baked: Path) -> None:
    for path in project_files(baked):
        text = path.read_text().lower()
        for word in ("id_token", "pyjwt", "import jwt", "openid", '"users"', "userrow"):
            assert word not in text, f"{word} in {path}"


def test_ruff_is_clean(baked: Path) -> None:
    check = run([sys.executable, "-m", "ruff", "check", "."], baked)
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = run([sys.executable, "-m", "ruff", "format", "--check", "."], baked)
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache per test process: the bakes share their dependencies' analysis."""
    return tmp_path_factory.mktemp("mypy-cache")


def test_mypy_is_clean(baked: Path, mypy_cache: Path) -> None:
    result = run([sys.executable, "-m", "mypy", "--cache-dir", str(mypy_cache)], baked)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_the_projects_own_tests_pass(baked: Path) -> None:
    result = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], baked)

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed in " in summary
    assert "warning" not in summary  # a first run is clean
    assert "Required test coverage of 95% reached" in result.stdout


def test_environment_credentials_win_over_the_answers(cookies, monkeypatch) -> None:
    monkeypatch.setenv("AKENEO_CLIENT_ID", "id-from-environment")
    monkeypatch.setenv("AKENEO_CLIENT_SECRET", "secret-from-environment")

    result = cookies.bake(extra_context={"client_id": "typed-id", "client_secret": "typed-secret"})

    env = read_env(Path(result.project_path))
    assert env["AKENEO_CLIENT_ID"] == "id-from-environment"
    assert env["AKENEO_CLIENT_SECRET"] == "secret-from-environment"


def test_empty_credentials_are_written_empty_with_a_warning(cookies, capfd) -> None:
    result = cookies.bake()

    assert result.exit_code == 0
    env_lines = (Path(result.project_path) / ".env").read_text().splitlines()
    assert "AKENEO_CLIENT_ID=" in env_lines
    assert "AKENEO_CLIENT_SECRET=" in env_lines
    out = capfd.readouterr().out
    id_line = env_lines.index("AKENEO_CLIENT_ID=") + 1
    assert f"AKENEO_CLIENT_ID is empty: fill line {id_line} of .env" in out


def test_the_next_steps_are_printed(cookies, capfd) -> None:
    cookies.bake()

    out = capfd.readouterr().out
    assert "  python3 -m venv --upgrade-deps .venv " in out
    assert ".venv/bin/pip install -e . --group dev" in out
    assert "uv sync --locked" in out
    assert ".venv/bin/python -m akeneo_start_app" in out
    assert not re.search(r"^\s*(python|pip|pytest) ", out, re.MULTILINE)
    assert "Activate URL: http://127.0.0.1:8000/activate" in out
    assert "Callback URL: http://127.0.0.1:8000/callback" in out
    assert "These work when your browser runs on this machine" in out
    assert ".cruft.json" not in out  # no secret was typed


def test_a_typed_secret_gets_a_warning_about_cruft(cookies, capfd) -> None:
    cookies.bake(extra_context={"client_secret": "typed-at-the-prompt"})

    out = capfd.readouterr().out
    assert "NOTE: the client secret you typed was echoed on screen" in out
    assert ".cruft.json" in out
    assert "export AKENEO_CLIENT_SECRET" in out
    assert "typed-at-the-prompt" not in out


def test_the_prompts_say_that_credentials_are_echoed() -> None:
    labels = json.loads((TEMPLATE / "cookiecutter.json").read_text())["__prompts__"]

    for answer, variable in [
        ("client_id", "AKENEO_CLIENT_ID"),
        ("client_secret", "AKENEO_CLIENT_SECRET"),
    ]:
        assert "shown as you type" in labels[answer]
        assert f"export {variable}" in labels[answer]


@pytest.mark.parametrize("baked", ["fastapi", "flask"], indirect=True)
def test_commands_in_the_generated_readme_use_python3(baked: Path) -> None:
    readme = (baked / "README.md").read_text()

    assert "python3 -m venv --upgrade-deps .venv" in readme
    assert not re.search(r"(^|[`(&] ?)python (-m|-c)", readme, re.MULTILINE)
    assert "Python 3.11" in readme


def test_a_rerun_keeps_the_existing_env(tmp_path: Path) -> None:
    from cookiecutter.main import cookiecutter

    first = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(tmp_path)))
    (first / ".env").write_text("AKENEO_CLIENT_ID=kept-by-the-user\n")

    again = cookiecutter(
        str(TEMPLATE),
        no_input=True,
        output_dir=str(tmp_path),
        overwrite_if_exists=True,
        extra_context={"client_id": "new-answer"},
    )

    assert Path(again) == first
    assert (first / ".env").read_text() == "AKENEO_CLIENT_ID=kept-by-the-user\n"
    assert not (first / "_variants").exists()


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["fastapi", "flask"])
def test_the_pip_path_installs_the_project_from_its_pyproject_and_passes(
    cookies, tmp_path: Path, framework: str
) -> None:
    """The README's commands without uv: a fresh venv, pip, the dev dependency group."""
    project = Path(
        cookies.bake(extra_context={"framework": framework, "openid_connect": True}).project_path
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--upgrade-deps", str(venv)], check=True)
    python = venv / "bin" / "python"

    install = run([str(python), "-m", "pip", "install", "-q", "-e", ".", "--group", "dev"], project)
    assert install.returncode == 0, install.stdout + install.stderr
    tests = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)

    assert tests.returncode == 0, tests.stdout[-6000:] + tests.stderr[-3000:]
    assert " passed" in tests.stdout
