"""A baked App in production: PostgreSQL, `alembic upgrade head`, the documented server command
with two workers, and a fake PIM over HTTP. Needs PostgreSQL's binaries (see tests/postgres.py).
"""

import secrets
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.postgres import PostgresServer, free_port
from tests.production import (
    fake_pim,
    migrate,
    new_database,
    production_command,
    rows,
    serve,
    tables,
    wait_for,
    worker_pids,
)
from tests.test_bake import run

BAKES = ["fastapi-openid", "flask-openid"]


def database_name() -> str:
    return f"template_{secrets.token_hex(6)}"


@pytest.mark.parametrize("baked", BAKES, indirect=True)
def test_the_projects_own_tests_pass_on_postgresql(baked: Path, postgres_url: str) -> None:
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        baked,
        TEST_DATABASE_URL=postgres_url,
    )

    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout
    assert "Required test coverage of 95% reached" in result.stdout


@pytest.mark.parametrize("baked", BAKES, indirect=True)
def test_two_workers_on_a_fresh_database_create_nothing_and_start_every_time(
    baked: Path, postgres_url: str, tmp_path: Path
) -> None:
    """The start-up race is gone: workers only check the schema; `alembic upgrade head` makes it."""
    command = production_command(baked)
    for attempt in range(3):
        database = new_database(postgres_url, database_name())
        log = tmp_path / f"server-{attempt}.log"
        with serve(command, baked, log, DATABASE_URL=database, WEB_CONCURRENCY="2") as server:
            health = wait_for(server, "/health", status=503)
            page = wait_for(server, "/", status=503)
            assert "alembic upgrade head" in health.json()["reason"]
            assert "The database is not ready" in page.text
            assert "alembic upgrade head" in page.text
            assert tables(database) == []

            migration = migrate(baked, database)
            assert migration.returncode == 0, migration.stderr

            for _ in range(6):  # new connections, spread over both workers
                assert wait_for(server, "/health", status=None).status_code == 200
                assert wait_for(server, "/", status=None).status_code == 200
        output = log.read_text()
        assert output.count("Booting worker") + output.count("Started server process") == 2
        assert "Traceback" not in output, output
        assert "already exists" not in output, output


@pytest.mark.parametrize("baked", BAKES, indirect=True)
def test_two_workers_serve_connections_and_reentries(
    baked: Path, postgres_url: str, tmp_path: Path
) -> None:
    database = new_database(postgres_url, database_name())
    assert migrate(baked, database).returncode == 0
    app_port = free_port()

    with (
        fake_pim(baked, app_port, tmp_path / "pim.log") as pim_url,
        serve(
            production_command(baked),
            baked,
            tmp_path / "server.log",
            PORT=str(app_port),
            WEB_CONCURRENCY="2",
            DATABASE_URL=database,
            APP_ENV="development",  # the fake PIM speaks plain http on loopback
            AKENEO_CLIENT_ID="prompted-client-id",
            AKENEO_CLIENT_SECRET="prompted-client-secret-value",
            AKENEO_ALLOWED_PIM_URLS=pim_url,
            AKENEO_SCOPES="read_channel_settings",
        ) as server,
    ):
        wait_for(server)
        browsers = [
            httpx.Client(follow_redirects=True, timeout=20, headers={"Connection": "close"})
            for _ in range(10)
        ]

        def connect(browser: httpx.Client) -> httpx.Response:
            return browser.get(f"{server.url}/activate", params={"pim_url": pim_url})

        def reenter(browser: httpx.Client) -> httpx.Response:
            return browser.get(f"{server.url}/activate", params={"pim_url": pim_url})

        # The first connection stores the PIM; nine more browsers then connect at once.
        connections = [connect(browsers[0])]
        with ThreadPoolExecutor(max_workers=5) as pool:
            connections += list(pool.map(connect, browsers[1:]))
            reentries = list(pool.map(reenter, browsers))
        for browser in browsers:
            browser.close()
        log = server.output()

    for home in connections:
        assert home.status_code == 200, home.text
        assert pim_url in home.text
        hops = [response.url.path for response in home.history]
        assert hops == ["/activate", "/connect/apps/v1/authorize", "/callback"]
    for home in reentries:
        assert home.status_code == 200, home.text
        assert pim_url in home.text
        assert "Hello" in home.text  # the user of this browser, found in the database
        # "Open app": straight in, without a new authorization.
        assert [r.url.path for r in home.history] == ["/activate"]
    assert len(worker_pids(log, "/callback") | worker_pids(log, "/activate")) == 2, log
    assert log.count("GET /callback?code=[redacted]&state=[redacted]") == 10, log
    assert rows(database, "SELECT pim_url FROM connections") == [(pim_url,)]


@pytest.mark.parametrize("baked", BAKES, indirect=True)
def test_health_follows_postgresql_going_down_and_coming_back(baked: Path, tmp_path: Path) -> None:
    postgres = PostgresServer()
    postgres.init()
    postgres.start()
    try:
        postgres.create_role()
        database = postgres.create_database("app")
        assert migrate(baked, database).returncode == 0
        with serve(
            production_command(baked), baked, tmp_path / "server.log", DATABASE_URL=database
        ) as server:
            assert wait_for(server).json() == {"status": "ok"}

            postgres.stop()
            down = wait_for(server, "/health", status=503)

            postgres.start()
            back = wait_for(server, "/health", status=200)
            home = httpx.get(server.url + "/", timeout=10)
    finally:
        if (postgres.data / "postmaster.pid").exists():
            postgres.stop()
        shutil.rmtree(postgres.folder.parent, ignore_errors=True)

    assert down.json() == {"status": "unavailable", "reason": "the database does not answer"}
    assert back.json() == {"status": "ok"}
    assert home.status_code == 200
