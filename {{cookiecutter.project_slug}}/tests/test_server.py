"""`python3 -m {{ cookiecutter.package_name }}` serves the App over real HTTP; a PIM connects to it.

Both servers run on loopback only: the App in a subprocess, the fake PIM in a thread.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from {{ cookiecutter.package_name }}.__main__ import main
from {{ cookiecutter.package_name }}.schema import upgrade
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.fake_pim import FakePim, serve

PROJECT = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + 20
    # One client for all attempts: each new client would load the CA bundle again.
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"the App stopped: {server.communicate()[1]}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
    pytest.fail(f"the App did not answer on {url}")


@pytest.fixture
def app_port() -> int:
    return free_port()


@pytest.fixture
def fake_pim(app_port: int) -> Iterator[FakePim]:
    pim = FakePim(
        "http://127.0.0.1",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        callback_url=f"http://127.0.0.1:{app_port}/callback",
    )
    server = serve(pim, "127.0.0.1", 0)
    pim.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield pim
    server.shutdown()
    server.server_close()


def start_app(tmp_path: Path, port: int, **env: str) -> subprocess.Popen[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AKENEO_")},
        "PYTHONPATH": str(PROJECT / "src"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_app_connects_a_pim_over_real_http(
    tmp_path: Path, app_port: int, fake_pim: FakePim
) -> None:
    # The App reads .env from the folder it starts in, as in the README.
    (tmp_path / ".env").write_text(
        f"AKENEO_CLIENT_ID={CLIENT_ID}\n"
        f"AKENEO_CLIENT_SECRET={CLIENT_SECRET}\n"
        f"AKENEO_ALLOWED_PIM_URLS={fake_pim.url}\n"
        "AKENEO_SCOPES=read_channel_settings\n"
        f"SECRET_KEY={'s' * 40}\n"
        f"TOKEN_ENCRYPTION_KEYS={Fernet.generate_key().decode()}\n"
        "DATABASE_URL=sqlite:///app.db\n"
    )
    server = start_app(tmp_path, app_port)
    app_url = f"http://127.0.0.1:{app_port}"
    try:
        wait_until_up(f"{app_url}/health", server)
        with httpx.Client(follow_redirects=True, timeout=10) as browser:
            home = browser.get(f"{app_url}/activate", params={"pim_url": fake_pim.url})
    finally:
        server.terminate()
        output, errors = server.communicate(timeout=10)

    assert home.status_code == 200
    assert str(home.url) == f"{app_url}/"
    assert fake_pim.url in home.text
    assert "read_channel_settings" in home.text
    [token] = fake_pim.tokens
    logs = output + errors
    assert "/callback" in logs  # the access log was written...
    assert "code=[redacted]" in logs  # ...without the authorization code
    assert token not in logs
    assert CLIENT_SECRET not in logs
    assert token.encode() not in (tmp_path / "app.db").read_bytes()


def write_env(folder: Path, *lines: str) -> None:
    settings = [f"SECRET_KEY={'s' * 40}", f"TOKEN_ENCRYPTION_KEYS={Fernet.generate_key().decode()}"]
    settings.append("AKENEO_SCOPES=read_channel_settings")
    (folder / ".env").write_text("\n".join([*settings, *lines]) + "\n")


# Each case: lines of .env, environment variables, the start of the one line the App writes.
REFUSALS = {
    "secret-key": (["SECRET_KEY=short"], {}, "Cannot start: SECRET_KEY must be set"),
    "port": ([], {"PORT": "abc"}, "Cannot start: PORT must be a number from 1 to 65535, not 'abc'"),
    "sqlite-folder": (
        ["DATABASE_URL=sqlite:///missing-folder/app.db"],
        {},
        "Cannot start: DATABASE_URL: the folder 'missing-folder' of the SQLite file",
    ),
    "missing-driver": (
        ["DATABASE_URL=mssql+pymssql://app:s3cret-password@db/app"],
        {},
        "Cannot start: DATABASE_URL 'mssql+pymssql://app:***@db/app' needs a database driver",
    ),
    "timeout": (["HTTP_TIMEOUT=1e-9"], {}, "Cannot start: HTTP_TIMEOUT must be between 1 and 120"),
    "scopes": (
        [f"AKENEO_SCOPES={'read_products ' * 80}"],
        {},
        "Cannot start: AKENEO_SCOPES: the scopes asked for take",
    ),
}


@pytest.fixture(scope="module")
def refusing_starts() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """The App's starts for the cases of REFUSALS, by case; stopped at the end of the module."""
    starts: dict[str, subprocess.Popen[str]] = {}
    yield starts
    for start in starts.values():
        if start.poll() is None:
            start.kill()
        start.communicate()


@pytest.mark.parametrize("case", REFUSALS)
def test_the_app_refuses_to_start_with_one_line_naming_the_setting(
    refusing_starts: dict[str, subprocess.Popen[str]],
    tmp_path_factory: pytest.TempPathFactory,
    case: str,
) -> None:
    # The next case's App starts now, each from its own folder: most of a start is importing
    # the App's libraries, so two starts at a time overlap rather than queue.
    cases = list(REFUSALS)
    for upcoming in cases[cases.index(case) : cases.index(case) + 2]:
        if upcoming not in refusing_starts:
            env, environ, _ = REFUSALS[upcoming]
            folder = tmp_path_factory.mktemp(upcoming)
            write_env(folder, *env)
            refusing_starts[upcoming] = start_app(folder, free_port(), **environ)
    server = refusing_starts[case]

    _, errors = server.communicate(timeout=30)

    assert server.returncode == 1
    assert errors.strip().startswith(REFUSALS[case][2])
    assert len(errors.strip().splitlines()) == 1
    assert "Traceback" not in errors
    assert "s3cret-password" not in errors


def start_production_server(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """The production command of README.md, Deploying, serving from `folder` on `port`."""
    write_env(folder, "AKENEO_CLIENT_ID=id", "AKENEO_CLIENT_SECRET=secret")
    upgrade(f"sqlite:///{folder / 'app.db'}")  # production workers never migrate
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AKENEO_")},
        "PYTHONPATH": str(PROJECT / "src"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    # The access log goes to standard output.
{%- if cookiecutter.framework == "flask" %}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(PROJECT / "gunicorn.conf.py"),
    ]
{%- else %}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "{{ cookiecutter.package_name }}.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-proxy-headers",
        "--log-config",
        str(PROJECT / "logging.json"),
    ]
{%- endif %}
    return subprocess.Popen(
        command, cwd=folder, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_the_production_server_redacts_its_access_log(tmp_path: Path, app_port: int) -> None:
    server = start_production_server(tmp_path, app_port)
    app_url = f"http://127.0.0.1:{app_port}"
    try:
        wait_until_up(f"{app_url}/health", server)
        callback = httpx.get(
            f"{app_url}/callback", params={"code": "SECRET-CODE", "state": "SECRET-STATE"}
        )
    finally:
        server.terminate()
        output, errors = server.communicate(timeout=10)
    written = output + errors
    assert callback.status_code == 403
    assert b"/callback?code=[redacted]&state=[redacted]" in written
    assert b"SECRET-CODE" not in written
    assert b"SECRET-STATE" not in written


MALFORMED_CHUNKS = {
    "chunk-size": b"ZZZ\r\nabc\r\n0\r\n\r\n",
    "no-crlf-after-data": b"3\r\nabc0\r\n\r\n",
    "more-data-than-size": b"3\r\nabcdef\r\n0\r\n\r\n",
}


def test_the_production_server_answers_malformed_chunked_bodies_400_without_traceback(
    tmp_path: Path, app_port: int
) -> None:
    server = start_production_server(tmp_path, app_port)
    answers = {}
    try:
        wait_until_up(f"http://127.0.0.1:{app_port}/health", server)
        for case, body in MALFORMED_CHUNKS.items():
            with socket.create_connection(("127.0.0.1", app_port), timeout=10) as client:
                client.sendall(
                    b"POST /logout HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n" + body
                )
                answers[case] = client.recv(100).split(b"\r\n")[0]
    finally:
        server.terminate()
        output, errors = server.communicate(timeout=10)

    for case, status_line in answers.items():
        assert status_line.startswith(b"HTTP/1.1 400 "), case
    assert b"Traceback" not in output + errors


SETTINGS_VARIABLES = ("SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "DATABASE_URL", "APP_ENV")


@pytest.fixture
def settings_only_from_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """The App started by `main`, in-process, sees no setting from the test's environment."""
    for name in list(os.environ):
        if name.startswith("AKENEO_") or name in SETTINGS_VARIABLES:
            monkeypatch.delenv(name)


def test_the_app_started_from_a_folder_without_env_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings_only_from_files: None
) -> None:
    monkeypatch.chdir(tmp_path)

    with pytest.raises(SystemExit) as stopped:
        main([])

    message = str(stopped.value.code)
    assert message.startswith(f"Cannot start: no .env in {tmp_path}")
    assert "start the App from its project folder" in message


def test_the_app_refuses_to_start_on_a_database_it_cannot_migrate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings_only_from_files: None
) -> None:
    (tmp_path / "a-folder").mkdir()
    write_env(tmp_path, "DATABASE_URL=sqlite:///a-folder")  # a folder, not a database file
    monkeypatch.chdir(tmp_path)

    with pytest.raises(SystemExit) as stopped:
        main([])

    assert str(stopped.value.code).startswith(
        "Cannot start: the database cannot be migrated: unable to open database file"
    )
