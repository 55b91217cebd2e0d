"""Persistence with SQLAlchemy 2: one connection per PIM, its token encrypted at rest.{% if cookiecutter.openid_connect %}

Users are keyed by `(pim_url, sub)`: the PIM's pairwise identifier, never by name or email.
{% endif %}"""

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography.fernet import Fernet, MultiFernet
{%- if cookiecutter.openid_connect %}
from sqlalchemy import DateTime, String, Text, UniqueConstraint, create_engine, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
{%- else %}
from sqlalchemy import DateTime, String, Text, create_engine, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
{%- endif %}

from .akeneo.exchange import Connection


class Base(DeclarativeBase):
    pass


class ConnectionRow(Base):
    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    pim_url: Mapped[str] = mapped_column(String(2048), unique=True)
    encrypted_token: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)
    connected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
{%- if cookiecutter.openid_connect %}


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("pim_url", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pim_url: Mapped[str] = mapped_column(String(2048))
    sub: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(Text)
    last_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    last_login_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class StoredUser:
    id: int
    pim_url: str
    first_name: str
    last_name: str
    email: str
{%- endif %}


@dataclass(frozen=True)
class StoredConnection:
    pim_url: str
    access_token: str = field(repr=False)
    scopes: tuple[str, ...]
    connected_at: datetime
    updated_at: datetime


class Storage:
    def __init__(self, database_url: str, encryption_keys: tuple[str, ...]) -> None:
        # The first key encrypts; every key decrypts, so a new key can be put first and old
        # tokens still read until they are written again.
        self._fernet = MultiFernet([Fernet(key) for key in encryption_keys])
        self.engine = create_engine(database_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_schema(self) -> None:
        _create_private_sqlite_file(self.engine.url)
        Base.metadata.create_all(self.engine)

    def is_available(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

{%- if cookiecutter.openid_connect %}

    def save_connection(self, connection: Connection) -> int | None:
        """Insert or update the PIM's row and its user's; return the user's id, if known."""
{%- else %}

    def save_connection(self, connection: Connection) -> None:
        """Insert or update the PIM's row, leaving other PIMs' rows untouched."""
{%- endif %}
        now = datetime.now(UTC)
        with self._sessions.begin() as session:
            row = session.scalar(
                select(ConnectionRow).where(ConnectionRow.pim_url == connection.pim_url)
            )
            if row is None:
                row = ConnectionRow(pim_url=connection.pim_url, connected_at=now)
                session.add(row)
            row.encrypted_token = self._fernet.encrypt(connection.access_token.encode()).decode()
            row.scopes = " ".join(connection.scopes)
            row.updated_at = now
{%- if cookiecutter.openid_connect %}
            if connection.identity is None:
                return None
            return self._save_user(session, connection, now)
{%- endif %}

    def get_connection(self, pim_url: str) -> StoredConnection | None:
        with self._sessions() as session:
            row = session.scalar(select(ConnectionRow).where(ConnectionRow.pim_url == pim_url))
            if row is None:
                return None
            return StoredConnection(
                pim_url=row.pim_url,
                access_token=self._fernet.decrypt(row.encrypted_token.encode()).decode(),
                scopes=tuple(row.scopes.split()),
                connected_at=_utc(row.connected_at),
                updated_at=_utc(row.updated_at),
            )
{%- if cookiecutter.openid_connect %}

    def get_user(self, user_id: int) -> StoredUser | None:
        with self._sessions() as session:
            row = session.get(UserRow, user_id)
            if row is None:
                return None
            return StoredUser(row.id, row.pim_url, row.first_name, row.last_name, row.email)

    def _save_user(self, session: Session, connection: Connection, now: datetime) -> int:
        identity = connection.identity
        assert identity is not None
        row = session.scalar(
            select(UserRow).where(
                UserRow.pim_url == connection.pim_url, UserRow.sub == identity.sub
            )
        )
        if row is None:
            row = UserRow(pim_url=connection.pim_url, sub=identity.sub)
            session.add(row)
        # Names and email are editable in the PIM: the latest login has the current ones.
        row.first_name = identity.first_name
        row.last_name = identity.last_name
        row.email = identity.email
        row.last_login_at = now
        session.flush()
        return row.id
{%- endif %}


def _create_private_sqlite_file(url: URL) -> None:
    """Create a SQLite database file readable by its owner only (SQLite would use 0644)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    try:
        os.close(os.open(url.database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        return  # it exists already, or SQLite says why it cannot be created


def _utc(moment: datetime) -> datetime:
    # SQLite does not keep the time zone; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
