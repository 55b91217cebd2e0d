"""Databases for the tests: SQLite files by default, PostgreSQL with TEST_DATABASE_URL.

    TEST_DATABASE_URL=postgresql+psycopg://user:password@127.0.0.1:5432/postgres pytest

The PostgreSQL user needs the CREATEDB privilege: every test gets a database of its own, cloned
from one migrated once per session, and dropped afterwards.
"""

import os
import secrets
import shutil
from pathlib import Path

from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.schema import upgrade

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")


def sql(database_url: str, statement: str, **params: object) -> list[tuple[object, ...]]:
    """Run one statement in its own transaction; return its rows, if it has any."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()


def table_names(database_url: str) -> list[str]:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


class DatabaseFactory:
    """Creates databases for one test session and removes them at its end."""

    def __init__(self, folder: Path, server_url: str = SERVER_URL) -> None:
        self._folder = folder
        self._server = make_url(server_url) if server_url else None
        self._created: list[str] = []
        self._template = self.create_empty()
        upgrade(self._template)

    def create_empty(self) -> str:
        """The URL of a new database without any table."""
        return self._create(template=None)

    def create_migrated(self) -> str:
        """The URL of a new database at the latest migration, as after `alembic upgrade head`."""
        return self._create(template=self._template)

    def drop_all(self) -> None:
        for name in reversed(self._created):
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _create(self, template: str | None) -> str:
        name = f"test_{secrets.token_hex(6)}"
        if self._server is None:
            path = self._folder / f"{name}.db"
            if template is not None:
                shutil.copyfile(make_url(template).database or "", path)
            return f"sqlite:///{path}"
        clone = "" if template is None else f' TEMPLATE "{make_url(template).database}"'
        self._admin(f'CREATE DATABASE "{name}"{clone}')
        self._created.append(name)
        return self._server.set(database=name).render_as_string(hide_password=False)

    def _admin(self, statement: str) -> None:
        assert self._server is not None
        engine = create_engine(self._server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()
