"""Run a baked project as it runs in production: its documented commands, real processes, HTTP.

Every process started here runs in its own process group, stopped by its id at the end.
"""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.pool import NullPool

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.postgres import free_port

BIN = str(Path(sys.executable).parent)


def new_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url`; return its URL."""
    engine = create_engine(server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def tables(database_url: str) -> list[str]:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def rows(database_url: str, query: str) -> list[tuple[object, ...]]:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def environment(project: Path, **values: str) -> dict[str, str]:
    """The process environment for the baked project: its sources, this Python, no AKENEO_*."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AKENEO_", "TEST_"))}
    return {
        **base,
        "PATH": f"{BIN}:{base.get('PATH', '')}",
        "PYTHONPATH": str(project / "src"),
        **values,
    }


def migrate(project: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    """`alembic upgrade head` in the project folder, as the README says."""
    return subprocess.run(
        ["alembic", "upgrade", "head"],
        cwd=project,
        env=environment(project, DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_command(project: Path) -> str:
    """The production server's command line, exactly as the project's README documents it."""
    readme = (project / "README.md").read_text()
    [command] = re.findall(r"^((?:gunicorn|uvicorn) .+?)\s*(?:#.*)?$", readme, re.MULTILINE)
    return command


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serve(command: str, project: Path, log: Path, **env: str) -> Iterator[Server]:
    """Run `command` in the project folder (through sh, like a terminal) until the block ends."""
    port = int(env.get("PORT") or free_port())
    with log.open("w") as output:
        process = subprocess.Popen(
            ["sh", "-c", f"exec {command}"],
            cwd=project,
            env=environment(project, **{"HOST": "127.0.0.1", **env, "PORT": str(port)}),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def wait_for(server: Server, path: str = "/health", status: int | None = 200) -> httpx.Response:
    """Wait until `path` answers (with `status`, unless None); fail with the server's log."""
    deadline = time.monotonic() + 30
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"the server stopped:\n{server.output()}")
        try:
            last = httpx.get(server.url + path, timeout=5, headers={"Connection": "close"})
            if status is None or last.status_code == status:
                return last
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    answer = "no answer" if last is None else f"{last.status_code} {last.text[:300]}"
    raise AssertionError(f"{server.url}{path}: {answer}\n{server.output()}")


@contextmanager
def fake_pim(project: Path, app_port: int, log: Path) -> Iterator[str]:
    """The project's fake PIM over HTTP (`python -m tests.fake_pim`); yields its URL."""
    port = free_port()
    command = (
        f"python -m tests.fake_pim --port {port} --client-id {CLIENT_ID} "
        f"--client-secret {CLIENT_SECRET} --callback-url http://127.0.0.1:{app_port}/callback"
    )
    with serve(command, project, log, PORT=str(port)) as server:
        deadline = time.monotonic() + 20
        while "Fake Akeneo PIM running" not in server.output():
            assert server.process.poll() is None, server.output()
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.1)
        yield server.url


def worker_pids(log: str, path: str) -> set[str]:
    """The pids of the workers whose access log lines show a request to `path`."""
    return {
        match.group(1)
        for line in log.splitlines()
        if f"GET {path}" in line
        for match in [re.search(r"pid=<?(\d+)", line)]
        if match
    }
