"""Baked projects shared by the template's tests."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresServer

# Every framework x OpenID combination; the first is what `--no-input` bakes.
VARIANTS = {
    "fastapi": {"framework": "fastapi", "openid_connect": False},
    "fastapi-openid": {"framework": "fastapi", "openid_connect": True},
    "flask": {"framework": "flask", "openid_connect": False},
    "flask-openid": {"framework": "flask", "openid_connect": True},
}
CLIENT_ID = "prompted-client-id"
CLIENT_SECRET = "prompted-client-secret-value"


@pytest.fixture(scope="session", autouse=True)
def private_cookiecutter_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point cookiecutter and the hooks at a replay folder of the test session's own.

    The hooks find cookiecutter's replay file through COOKIECUTTER_CONFIG (or the defaults
    in the home folder): without this, they would edit the replay file of the user running
    the tests. Session-scoped and autouse, so it is in place before any project is baked.
    """
    folder = tmp_path_factory.mktemp("cookiecutter-config")
    config = folder / "config.yaml"
    config.write_text(
        f"cookiecutters_dir: {folder / 'cookiecutters'}\nreplay_dir: {folder / 'replay'}\n"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COOKIECUTTER_CONFIG", str(config))
        yield config


@pytest.fixture(autouse=True)
def no_credentials_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hooks read credentials from the environment first: tests start without any."""
    monkeypatch.delenv("AKENEO_CLIENT_ID", raising=False)
    monkeypatch.delenv("AKENEO_CLIENT_SECRET", raising=False)


@pytest.fixture(scope="session", params=list(VARIANTS))
def baked(request: pytest.FixtureRequest, cookies_session) -> Path:
    """A project of each variant, baked once per test session, with credentials answered."""
    result = cookies_session.bake(
        extra_context={
            **VARIANTS[request.param],
            "project_name": f"Shop Sync {request.param}",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }
    )
    assert result.exit_code == 0, result.exception
    return Path(result.project_path)


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server on 127.0.0.1 whose role may create databases.

    CI starts one for the whole run and exports TEMPLATE_POSTGRES_URL (see .ci/run); otherwise
    a throwaway server is started here (PostgreSQL's binaries are required, never skipped).
    """
    if os.environ.get("TEMPLATE_POSTGRES_URL"):
        yield os.environ["TEMPLATE_POSTGRES_URL"]
        return
    server = PostgresServer()
    server.init()
    server.start()
    server.create_role()
    yield server.url
    server.stop()
    shutil.rmtree(server.folder.parent, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the slow tests first, so that their installs overlap the bakes of other workers."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
