"""The schema comes from the migrations only: they match the models, and the App never runs DDL."""

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.schema import (
    SchemaGate,
    alembic_config,
    head_revision,
    upgrade,
)
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import Base, Storage
from tests.conftest import Browser
from tests.databases import DatabaseFactory, sql, table_names

MakeBrowser = Callable[..., Browser]


@pytest.fixture
def empty_database_url(databases: DatabaseFactory) -> str:
    """A database that `alembic upgrade head` has not touched yet."""
    return databases.create_empty()


@pytest.fixture
def own_database_url(databases: DatabaseFactory) -> str:
    """A database at the latest migration that no other test uses: this test changes its schema."""
    return databases.create_migrated()


@pytest.fixture
def unmigrated(settings: Settings, empty_database_url: str) -> Settings:
    return dataclasses.replace(settings, database_url=empty_database_url)


def test_the_migrations_create_exactly_the_models(database_url: str) -> None:
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()

    # Not empty: a model changed without its migration. Write one from the models with
    # `alembic revision --autogenerate -m "what changed"` and check it.
    assert differences == []


def test_the_app_expects_the_one_head_of_the_migrations(database_url: str) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(database_url))

    assert scripts.get_heads() == [head_revision()]
    assert sql(database_url, "SELECT version_num FROM alembic_version") == [(head_revision(),)]


def test_the_command_line_and_the_app_read_the_same_migrations() -> None:
    project = Path(__file__).resolve().parents[1]
    ini = ScriptDirectory.from_config(Config(project / "alembic.ini"))
    app = ScriptDirectory.from_config(alembic_config(""))

    assert Path(ini.dir) == Path(app.dir)
    assert Path(app.dir).is_relative_to(project / "src")


def test_the_migrations_downgrade_to_nothing_and_upgrade_again(own_database_url: str) -> None:
    tables = table_names(own_database_url)

    command.downgrade(alembic_config(own_database_url), "base")
    assert table_names(own_database_url) == ["alembic_version"]

    upgrade(own_database_url)
    assert table_names(own_database_url) == tables
    assert "connections" in tables


def test_the_app_migrates_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    database_url = f"sqlite:///{tmp_path / 'elsewhere.db'}"

    upgrade(database_url)

    assert sql(database_url, "SELECT version_num FROM alembic_version") == [(head_revision(),)]


def test_an_app_without_the_schema_refuses_every_page_naming_the_command(
    make_browser: MakeBrowser, unmigrated: Settings
) -> None:
    browser = make_browser(unmigrated)

    for path in ("/", "/activate?pim_url=https://pim-a.example.test", "/callback?code=c&state=s"):
        page = browser.get(path)
        assert page.status == 503, path
        assert "The database is not ready" in page.text, path
        assert "has no tables yet" in page.text, path
        assert "alembic upgrade head" in page.text, path


def test_health_is_503_naming_the_command_until_the_schema_is_there(
    make_browser: MakeBrowser, unmigrated: Settings
) -> None:
    health = make_browser(unmigrated).get("/health")

    assert health.status == 503
    assert '"unavailable"' in health.text
    assert "alembic upgrade head" in health.text


def test_the_app_creates_no_table(make_browser: MakeBrowser, unmigrated: Settings) -> None:
    browser = make_browser(unmigrated)
    browser.get("/")
    browser.get("/health")

    assert table_names(unmigrated.database_url) == []


def test_the_app_serves_as_soon_as_the_migrations_ran(
    make_browser: MakeBrowser, unmigrated: Settings
) -> None:
    browser = make_browser(unmigrated)
    assert browser.get("/").status == 503

    upgrade(unmigrated.database_url)

    assert browser.get("/").status == 200
    assert browser.get("/health").status == 200


def test_the_gate_is_ready_once_it_found_the_schema(unmigrated: Settings) -> None:
    storage = Storage(unmigrated.database_url, unmigrated.token_encryption_keys)
    gate = SchemaGate(storage)
    assert gate.refusal() is not None
    assert not gate.ready

    upgrade(unmigrated.database_url)

    assert gate.refusal() is None
    assert gate.ready
    storage.close()


def test_once_the_schema_was_found_pages_no_longer_check_it(
    make_browser: MakeBrowser, settings: Settings, own_database_url: str
) -> None:
    browser = make_browser(dataclasses.replace(settings, database_url=own_database_url))
    assert browser.get("/").status == 200

    # Only a new deployment changes the schema, and it starts new workers.
    sql(own_database_url, "UPDATE alembic_version SET version_num = 'f00d'")

    assert browser.get("/").status == 200


def test_a_database_at_another_migration_is_refused(
    make_browser: MakeBrowser, settings: Settings, own_database_url: str
) -> None:
    sql(own_database_url, "UPDATE alembic_version SET version_num = 'f00d'")

    page = make_browser(dataclasses.replace(settings, database_url=own_database_url)).get("/")

    assert page.status == 503
    assert f"is at migration f00d; this version of the App needs migration {head_revision()}" in (
        page.text
    )
    assert "alembic upgrade head" in page.text
