"""The container files: Dockerfile linted by hadolint, compose.yaml checked against the Compose
specification's schema, and the Dockerfile's own commands run here without a container engine
(no engine runs on these machines: the base image, `useradd` and `USER` are not exercised).
"""

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.postgres import free_port
from tests.production import Server, new_database, production_command, wait_for

BAKES = ["fastapi", "flask"]
BIN = Path(sys.executable).parent


def instructions(dockerfile: Path) -> list[tuple[int, str, str]]:
    """(stage number, INSTRUCTION, arguments) for each instruction, continuations joined."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text())
    stage, result = -1, []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            stage += 1
        result.append((stage, keyword.upper(), arguments.strip()))
    return result


@pytest.mark.parametrize("baked", BAKES, indirect=True)
def test_hadolint_finds_nothing_in_the_dockerfile(baked: Path) -> None:
    result = subprocess.run(
        [str(BIN / "hadolint"), "--failure-threshold", "info", "Dockerfile"],
        cwd=baked,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("baked", BAKES, indirect=True)
def test_compose_yaml_follows_the_compose_specification(baked: Path) -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "compose.yaml"],
        cwd=baked,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("baked", BAKES, indirect=True)
def test_compose_migrates_once_before_the_app_and_keeps_the_data(baked: Path) -> None:
    services = yaml.safe_load((baked / "compose.yaml").read_text())["services"]

    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    assert services["app"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"}
    }
    assert "db-data:/var/lib/postgresql/data" in services["db"]["volumes"]
    for name in ("migrate", "app"):
        assert services[name]["env_file"] == ".env"  # read when the container starts
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert services["app"]["ports"] == ["127.0.0.1:8000:8000"]


@pytest.mark.parametrize("baked", BAKES, indirect=True)
def test_the_image_holds_no_secret_and_runs_unprivileged(baked: Path) -> None:
    steps = instructions(baked / "Dockerfile")
    final = [(keyword, arguments) for stage, keyword, arguments in steps if stage == 1]
    copied = [arguments.split()[:-1] for keyword, arguments in final if keyword == "COPY"]
    ignored = (baked / ".dockerignore").read_text().splitlines()

    assert [keyword for _, keyword, _ in steps].count("FROM") == 2  # build, then run
    # The Python of the image is one the generated suite passes on with warnings as errors.
    assert all("python:3.13-slim" in args for _, k, args in steps if k == "FROM")
    runs = [arguments for stage, keyword, arguments in steps if keyword == "RUN" and stage == 0]
    assert all("uv sync --locked --no-dev" in run for run in runs if "uv " in run)
    assert not any(".env" in source for sources in copied for source in sources)
    assert {".env", "*.db"} <= set(ignored)
    assert ("USER", "10001:10001") in final
    [healthcheck] = [arguments for keyword, arguments in final if keyword == "HEALTHCHECK"]
    assert "/health" in healthcheck
    [cmd] = [json.loads(arguments) for keyword, arguments in final if keyword == "CMD"]
    documented = production_command(baked).replace('"${HOST:-127.0.0.1}"', '"$HOST"')
    assert " ".join(cmd).removeprefix("sh -c exec ") == documented.replace(
        '"${PORT:-8000}"', '"$PORT"'
    )


@pytest.mark.slow
@pytest.mark.parametrize("baked", BAKES, indirect=True)
def test_the_dockerfiles_commands_build_and_run_the_app(
    baked: Path, tmp_path: Path, postgres_url: str
) -> None:
    """Each RUN, COPY, ENV, CMD and HEALTHCHECK, with /opt/venv, /src and /app in tmp_path."""
    paths = {"/opt/venv": tmp_path / "venv", "/src": tmp_path / "src", "/app": tmp_path / "app"}

    def local(text: str) -> str:
        for inside, outside in paths.items():
            text = text.replace(inside, str(outside))
        return text

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AKENEO_", "PIP_", "UV_"))}
    # The image's /bin/uv (copied from uv's image) and Python: this machine's.
    env["PATH"] = f"{BIN}:{env['PATH']}"
    env["UV_PYTHON"] = sys.executable
    workdir = tmp_path
    for stage, keyword, arguments in instructions(baked / "Dockerfile"):
        if keyword == "WORKDIR":
            workdir = Path(local(arguments))
            workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "ENV":
            for assignment in shlex.split(arguments):
                name, _, value = assignment.partition("=")
                env[name] = local(os.path.expandvars(value.replace("$PATH", env["PATH"])))
        elif keyword == "COPY" and not arguments.startswith("--from"):
            *sources, target = arguments.split()
            for source in sources:  # Docker's rules: a folder's content goes into the target
                if (baked / source).is_dir():
                    shutil.copytree(baked / source, workdir / target, dirs_exist_ok=True)
                elif target.endswith("/"):
                    (workdir / target).mkdir(parents=True, exist_ok=True)
                    shutil.copy(baked / source, workdir / target / Path(source).name)
                else:
                    shutil.copy(baked / source, workdir / target)
        elif keyword == "RUN" and stage == 0:
            # BuildKit's cache mounts only speed a build up: the command is the same without.
            command = re.sub(r"--mount=\S+\s+", "", arguments)
            build = subprocess.run(
                ["sh", "-c", local(command)],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]

    app = paths["/app"]
    assert sorted(path.name for path in app.iterdir()) == sorted(
        [
            "alembic.ini",
            "gunicorn.conf.py" if "flask" in baked.name else "logging.json",
        ]
    )
    # Run time as compose.yaml sets it up: .env read at start, DATABASE_URL on PostgreSQL.
    for line in (baked / ".env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = value.strip('"')
    env.update(
        DATABASE_URL=new_database(postgres_url, f"image_{secrets.token_hex(6)}"),
        HOST="127.0.0.1",
        PORT=str(free_port()),
    )
    migration = subprocess.run(
        ["alembic", "upgrade", "head"], cwd=app, env=env, capture_output=True, text=True
    )
    assert migration.returncode == 0, migration.stderr

    final = [
        (keyword, arguments)
        for stage, keyword, arguments in instructions(baked / "Dockerfile")
        if stage == 1
    ]
    [cmd] = [json.loads(arguments) for keyword, arguments in final if keyword == "CMD"]
    [healthcheck] = [arguments for keyword, arguments in final if keyword == "HEALTHCHECK"]
    probe = json.loads(healthcheck.split(" CMD ", 1)[1])
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            cmd, cwd=app, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for(Server(server, f"http://127.0.0.1:{env['PORT']}", log))
        health = subprocess.run(probe, cwd=app, env=env, capture_output=True, text=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    assert health.returncode == 0, health.stderr
    assert "Traceback" not in log.read_text()
