"""Persistence with SQLAlchemy 2: one connection per PIM, its token encrypted at rest.

Browser sessions and used-up OAuth states live here too, so that logging out or redeeming a
state holds for every worker, and for a copy of the cookie.{% if cookiecutter.openid_connect %}

Users are keyed by `(pim_url, sub)`: the PIM's pairwise identifier, never by name or email.
{% endif %}"""

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
{%- if cookiecutter.openid_connect %}
from sqlalchemy import (
    DateTime,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    or_,
    select,
    text,
    update,
)
{%- else %}
from sqlalchemy import (
    DateTime,
    MetaData,
    String,
    Text,
    create_engine,
    delete,
    or_,
    select,
    text,
    update,
)
{%- endif %}
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from .akeneo.exchange import Connection

logger = logging.getLogger(__name__)


class Base(DeclarativeBase):
    # Named constraints, so that a later migration can drop or change them on any database.
    metadata = MetaData(
        naming_convention={
            "pk": "pk_%(table_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
        }
    )


class ConnectionRow(Base):
    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    pim_url: Mapped[str] = mapped_column(String(2048), unique=True)
    encrypted_token: Mapped[str] = mapped_column(Text)
    scopes: Mapped[str] = mapped_column(Text)
    connected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when the PIM refuses the token (401); the row is kept until the PIM connects again.
    disconnected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the App told the PIM it needs more scopes; the next "Open app" asks for consent.
    scopes_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The scopes the PIM was asked for then: the App asks again only for other scopes.
    requested_scopes: Mapped[str | None] = mapped_column(Text)
    # The last time the App started asking the PIM, whatever the PIM answered (rate limit).
    scope_request_attempted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ScopeRequestClaim(Enum):
    """Whether the App may ask a PIM for new scopes now."""

    CLAIMED = "claimed"
    ALREADY_REQUESTED = "already requested"
    TOO_SOON = "too soon"


class BrowserSessionRow(Base):
    """A browser linked to a PIM{% if cookiecutter.openid_connect %} (and user){% endif %}; its cookie holds the id, the table its hash."""

    __tablename__ = "browser_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    pim_url: Mapped[str] = mapped_column(String(2048))
{%- if cookiecutter.openid_connect %}
    user_id: Mapped[int | None]
{%- endif %}
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RedeemedStateRow(Base):
    """An OAuth state whose callback was accepted, kept until the state would have expired."""

    __tablename__ = "redeemed_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
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
class BrowserSession:
    pim_url: str
{%- if cookiecutter.openid_connect %}
    user_id: int | None
{%- endif %}
    expires_at: datetime


@dataclass(frozen=True)
class StoredConnection:
    pim_url: str
    access_token: str = field(repr=False)
    scopes: tuple[str, ...]
    connected_at: datetime
    updated_at: datetime
    disconnected_at: datetime | None = None
    scopes_requested_at: datetime | None = None
    requested_scopes: tuple[str, ...] = ()
    # No key of TOKEN_ENCRYPTION_KEYS decrypts the stored token (access_token is then empty):
    # the PIM must connect again for the App to get a token it can read.
    token_unreadable: bool = False


class Storage:
    def __init__(self, database_url: str, encryption_keys: tuple[str, ...]) -> None:
        # The first key encrypts; every key decrypts, so a new key can be put first and old
        # tokens still read until they are written again.
        self._fernet = MultiFernet([Fernet(key) for key in encryption_keys])
        # A pooled connection that died with a database restart is replaced, not used.
        # hide_parameters: a database error's message would otherwise quote the statement's
        # values, encrypted tokens included, into the logs.
        self.engine = create_engine(database_url, pool_pre_ping=True, hide_parameters=True)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        """Close every pooled connection: the App's shutdown and the tests' teardown call it."""
        self.engine.dispose()

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
        changes = {
            "encrypted_token": self._fernet.encrypt(connection.access_token.encode()).decode(),
            "scopes": " ".join(connection.scopes),
            "updated_at": now,
            "disconnected_at": None,
            "scopes_requested_at": None,
        }
        # One statement, not read-then-insert: two first callbacks of one PIM at once would
        # both find no row, and the second insert would break the unique constraint.
        with self._sessions.begin() as session:
            session.execute(
                _insert(session, ConnectionRow)
                .values(pim_url=connection.pim_url, connected_at=now, **changes)
                .on_conflict_do_update(index_elements=[ConnectionRow.pim_url], set_=changes)
            )
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
            try:
                access_token = self._fernet.decrypt(row.encrypted_token.encode()).decode()
            except InvalidToken:
                logger.warning(
                    "No key in TOKEN_ENCRYPTION_KEYS decrypts the token stored for %s: put the "
                    "key it was written with back in TOKEN_ENCRYPTION_KEYS, or connect the PIM "
                    "again",
                    row.pim_url,
                )
                access_token = ""
            return StoredConnection(
                pim_url=row.pim_url,
                access_token=access_token,
                token_unreadable=not access_token,
                scopes=tuple(row.scopes.split()),
                connected_at=_utc(row.connected_at),
                updated_at=_utc(row.updated_at),
                disconnected_at=_utc(row.disconnected_at) if row.disconnected_at else None,
                scopes_requested_at=(
                    _utc(row.scopes_requested_at) if row.scopes_requested_at else None
                ),
                requested_scopes=tuple((row.requested_scopes or "").split()),
            )

    def mark_disconnected(self, connection: Connection) -> bool:
        """Record that the PIM refused `connection`'s token; False if another token is stored.

        A call sent with an old token may be refused after the PIM connected again: only the
        stored token's refusal disconnects the PIM. The first refusal's time is kept.
        """
        with self._sessions.begin() as session:
            row = session.scalar(
                select(ConnectionRow).where(ConnectionRow.pim_url == connection.pim_url)
            )
            if row is None or not hmac.compare_digest(
                self._decrypt_or_empty(row.encrypted_token), connection.access_token.encode()
            ):
                return False
            row.disconnected_at = row.disconnected_at or datetime.now(UTC)
            return True

    def _decrypt_or_empty(self, encrypted_token: str) -> bytes:
        try:
            return self._fernet.decrypt(encrypted_token.encode())
        except InvalidToken:
            return b""

    def claim_scope_request(
        self, pim_url: str, scopes: tuple[str, ...], interval: timedelta
    ) -> ScopeRequestClaim:
        """Record an attempt to ask the PIM for `scopes`, unless it was asked for them already
        (until it connects again) or any attempt was made less than `interval` ago.

        One conditional update: of two workers claiming at once, only one succeeds.
        """
        now, wanted = datetime.now(UTC), " ".join(scopes)
        with self._sessions.begin() as session:
            claimed = session.scalar(
                update(ConnectionRow)
                .where(
                    ConnectionRow.pim_url == pim_url,
                    or_(
                        ConnectionRow.scope_request_attempted_at.is_(None),
                        ConnectionRow.scope_request_attempted_at <= now - interval,
                    ),
                    or_(
                        ConnectionRow.scopes_requested_at.is_(None),
                        ConnectionRow.requested_scopes.is_(None),
                        ConnectionRow.requested_scopes != wanted,
                    ),
                )
                .values(scope_request_attempted_at=now)
                .returning(ConnectionRow.id)
            )
            if claimed is not None:
                return ScopeRequestClaim.CLAIMED
            row = session.scalar(select(ConnectionRow).where(ConnectionRow.pim_url == pim_url))
            if row is not None and row.scopes_requested_at and row.requested_scopes == wanted:
                return ScopeRequestClaim.ALREADY_REQUESTED
            return ScopeRequestClaim.TOO_SOON

    def mark_scopes_requested(self, pim_url: str, scopes: tuple[str, ...]) -> None:
        """Record that the PIM was asked for `scopes`, until the PIM connects again."""
        with self._sessions.begin() as session:
            row = session.scalar(select(ConnectionRow).where(ConnectionRow.pim_url == pim_url))
            if row is not None:
                row.scopes_requested_at = datetime.now(UTC)
                row.requested_scopes = " ".join(scopes)

{%- if cookiecutter.openid_connect %}

    def start_session(self, pim_url: str, user_id: int | None, lifetime: timedelta) -> str:
{%- else %}

    def start_session(self, pim_url: str, lifetime: timedelta) -> str:
{%- endif %}
        """Record a browser linked to a PIM until `lifetime` from now; return its cookie's id."""
        session_id = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self._sessions.begin() as session:
            session.execute(delete(BrowserSessionRow).where(BrowserSessionRow.expires_at < now))
            session.add(
                BrowserSessionRow(
                    id_hash=_digest(session_id),
                    pim_url=pim_url,
{%- if cookiecutter.openid_connect %}
                    user_id=user_id,
{%- endif %}
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
        return session_id

    def get_session(self, session_id: str) -> BrowserSession | None:
        """The browser session with this id, unless it ended or expired."""
        with self._sessions() as session:
            row = session.get(BrowserSessionRow, _digest(session_id))
            if row is None or _utc(row.expires_at) <= datetime.now(UTC):
                return None
{%- if cookiecutter.openid_connect %}
            return BrowserSession(row.pim_url, row.user_id, _utc(row.expires_at))
{%- else %}
            return BrowserSession(row.pim_url, _utc(row.expires_at))
{%- endif %}

    def end_session(self, session_id: str) -> None:
        """Forget a browser session: its cookie, or any copy of it, links to nothing any more."""
        with self._sessions.begin() as session:
            session.execute(
                delete(BrowserSessionRow).where(BrowserSessionRow.id_hash == _digest(session_id))
            )

    def redeem_state(self, state: str, expires_at: datetime) -> bool:
        """Use up an OAuth state: True the first time, False if it was redeemed before."""
        now = datetime.now(UTC)
        with self._sessions.begin() as session:
            session.execute(delete(RedeemedStateRow).where(RedeemedStateRow.expires_at < now))
            inserted = session.execute(
                _insert(session, RedeemedStateRow)
                .values(state_hash=_digest(state), expires_at=expires_at)
                .on_conflict_do_nothing()
                .returning(RedeemedStateRow.state_hash)
            ).first()
            return inserted is not None
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
        # Names and email are editable in the PIM: the latest login has the current ones.
        changes = {
            "first_name": identity.first_name,
            "last_name": identity.last_name,
            "email": identity.email,
            "last_login_at": now,
        }
        user_id: int = session.execute(
            _insert(session, UserRow)
            .values(pim_url=connection.pim_url, sub=identity.sub, **changes)
            .on_conflict_do_update(index_elements=[UserRow.pim_url, UserRow.sub], set_=changes)
            .returning(UserRow.id)
        ).scalar_one()
        return user_id
{%- endif %}


def _insert(session: Session, table: type[Base]) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that can turn into an UPDATE on conflict, in the database's own dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def create_private_sqlite_file(url: URL) -> None:
    """Create a SQLite database file readable by its owner only (SQLite would use 0644)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    try:
        os.close(os.open(url.database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        return  # it exists already, or SQLite says why it cannot be created


def _digest(secret: str) -> str:
    # Only a hash is stored: the database alone does not give a usable cookie or state.
    return hashlib.sha256(secret.encode()).hexdigest()


def _utc(moment: datetime) -> datetime:
    # SQLite does not keep the time zone; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
