"""Databases for the tests: SQLite files by default, PostgreSQL with TEST_DATABASE_URL.

    TEST_DATABASE_URL=postgresql+psycopg://user:password@127.0.0.1:5432/postgres pytest

The PostgreSQL user needs the CREATEDB privilege. The session migrates one database; each test
finds it emptied (its tables truncated). Tests that change the schema itself ask for a database
of their own. On SQLite, each test gets a copy of a file migrated once per session.
"""

import os
import secrets
import shutil
from datetime import datetime
from functools import cache
from pathlib import Path

from sqlalchemy import DateTime, Engine, bindparam, create_engine, inspect, make_url, text
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.schema import upgrade

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "")


@cache
def engine_of(database_url: str) -> Engine:
    """One engine per database for the tests' own queries (a new engine costs round trips)."""
    return create_engine(database_url, pool_size=1)


def sql(database_url: str, statement: str, **params: object) -> list[tuple[object, ...]]:
    """Run one statement in its own transaction; return its rows, if it has any."""
    # Datetimes bound as the models bind them (sqlite3's own adapter is deprecated since 3.12).
    moments = [
        bindparam(name, type_=DateTime(timezone=True))
        for name, value in params.items()
        if isinstance(value, datetime)
    ]
    with engine_of(database_url).begin() as connection:
        result = connection.execute(text(statement).bindparams(*moments), params)
        return [tuple(row) for row in result] if result.returns_rows else []


def table_names(database_url: str) -> list[str]:
    with engine_of(database_url).connect() as connection:
        return sorted(inspect(connection).get_table_names())


class DatabaseFactory:
    """Creates databases for one test session and removes them at its end."""

    def __init__(self, folder: Path, server_url: str = SERVER_URL) -> None:
        self._folder = folder
        self._server = make_url(server_url) if server_url else None
        self._created: list[str] = []
        self._template = self.create_empty()
        upgrade(self._template)
        self._tables = [name for name in table_names(self._template) if name != "alembic_version"]

    def emptied(self) -> str:
        """The URL of a database at the latest migration without any row (the test may share it)."""
        if self._server is None:
            return self.create_migrated()
        tables = ", ".join(f'"{name}"' for name in self._tables)
        with engine_of(self._template).begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
        return self._template

    def create_empty(self) -> str:
        """The URL of a new database without any table."""
        return self._create(template=None)

    def create_migrated(self) -> str:
        """The URL of a new database at the latest migration, as after `alembic upgrade head`."""
        return self._create(template=self._template)

    def drop_all(self) -> None:
        """Drop this session's PostgreSQL databases (WITH FORCE: open connections are closed)."""
        for name in reversed(self._created):
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _create(self, template: str | None) -> str:
        name = f"test_{secrets.token_hex(6)}"
        if self._server is None:
            path = self._folder / f"{name}.db"
            if template is not None:
                shutil.copyfile(make_url(template).database or "", path)
            return f"sqlite:///{path}"
        self._admin(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        url = self._server.set(database=name).render_as_string(hide_password=False)
        if template is not None:
            # Not CREATE DATABASE ... TEMPLATE: the tests' engines keep the template in use.
            upgrade(url)
        return url

    def _admin(self, statement: str) -> None:
        assert self._server is not None
        engine = create_engine(self._server, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()
