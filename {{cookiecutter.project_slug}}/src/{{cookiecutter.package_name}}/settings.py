"""Typed settings read from the environment and the `.env` file, validated at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from .akeneo.pim_url import InvalidPimUrl, normalize_pim_url

ENVIRONMENTS = ("development", "production")


class SettingsError(Exception):
    """A required setting is missing or malformed: the message names the variable."""


@dataclass(frozen=True)
class Settings:
    client_id: str = ""
    client_secret: str = ""
    allowed_pim_urls: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
{%- if cookiecutter.openid_connect %}
    openid_connect: bool = True
{%- endif %}
    secret_key: str = ""
    token_encryption_keys: tuple[str, ...] = ()
    database_url: str = "sqlite:///app.db"
    environment: str = "development"
    http_timeout: float = 10.0
    env_file: Path | None = None  # the .env file read at start-up, if there was one

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def missing_credentials(self) -> list[str]:
        """The `.env` lines still to fill before a PIM can connect."""
        missing = []
        if not self.client_id:
            missing.append("AKENEO_CLIENT_ID")
        if not self.client_secret:
            missing.append("AKENEO_CLIENT_SECRET")
        return missing

    @property
    def requested_scopes(self) -> tuple[str, ...]:
        """Every scope the authorization request asks for."""
{%- if cookiecutter.openid_connect %}
        if self.openid_connect:
            return (*self.scopes, "openid", "email", "profile")
{%- endif %}
        return self.scopes


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> Settings:
    """Read settings from `environ` (default: the process environment) over `env_file`.

    `env_file` defaults to `.env` in the current folder; values already in the environment win.
    """
    env_file = (env_file or Path(".env")).absolute()
    file_values = dotenv_values(env_file)
    from_file = {name: value for name, value in file_values.items() if value is not None}
    values = {**from_file, **(os.environ if environ is None else environ)}

    environment = values.get("APP_ENV", "development").strip() or "development"
    if environment not in ENVIRONMENTS:
        raise SettingsError(
            f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}"
        )
    development = environment == "development"

    return Settings(
        client_id=values.get("AKENEO_CLIENT_ID", "").strip(),
        client_secret=values.get("AKENEO_CLIENT_SECRET", "").strip(),
        allowed_pim_urls=_pim_urls(values.get("AKENEO_ALLOWED_PIM_URLS", ""), development),
        scopes=tuple(values.get("AKENEO_SCOPES", "").split()),
{%- if cookiecutter.openid_connect %}
        openid_connect=_boolean(values.get("AKENEO_OPENID_CONNECT", "true")),
{%- endif %}
        secret_key=_secret_key(values.get("SECRET_KEY", "")),
        token_encryption_keys=_fernet_keys(values.get("TOKEN_ENCRYPTION_KEYS", "")),
        database_url=_database_url(values.get("DATABASE_URL", "sqlite:///app.db")),
        environment=environment,
        http_timeout=_http_timeout(values.get("HTTP_TIMEOUT", "10")),
        env_file=env_file if env_file.is_file() else None,
    )


def _pim_urls(raw: str, development: bool) -> tuple[str, ...]:
    urls = []
    for url in raw.replace(",", " ").split():
        try:
            urls.append(normalize_pim_url(url, allow_http_loopback=development))
        except InvalidPimUrl as error:
            raise SettingsError(
                f"AKENEO_ALLOWED_PIM_URLS: {url!r} is not allowed: {error}"
            ) from None
    return tuple(urls)

{%- if cookiecutter.openid_connect %}


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"AKENEO_OPENID_CONNECT must be true or false, not {raw!r}")
{%- endif %}


def _secret_key(raw: str) -> str:
    # The session cookie is signed with this key: a short one can be brute-forced.
    if len(raw.strip()) < 32:
        raise SettingsError(
            "SECRET_KEY must be set to a random string of at least 32 characters "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    return raw.strip()


def _fernet_keys(raw: str) -> tuple[str, ...]:
    keys = tuple(raw.replace(",", " ").split())
    if not keys:
        raise SettingsError(
            "TOKEN_ENCRYPTION_KEYS must hold at least one Fernet key "
            "(python3 -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        )
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise SettingsError(
                f"TOKEN_ENCRYPTION_KEYS: key number {position} is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from None
    return keys


def _database_url(raw: str) -> str:
    try:
        make_url(raw.strip()).get_dialect()
    except (NoSuchModuleError, ImportError) as error:  # before ArgumentError, its base class
        raise SettingsError(
            f"DATABASE_URL {raw!r} names a database this App cannot use: {error} "
            "(for PostgreSQL: .venv/bin/pip install -e '.[postgres]')"
        ) from None
    except ArgumentError:
        raise SettingsError(
            f"DATABASE_URL {raw!r} is not a database URL (e.g. sqlite:///app.db)"
        ) from None
    return raw.strip()


def _http_timeout(raw: str) -> float:
    try:
        timeout = float(raw)
    except ValueError:
        raise SettingsError(f"HTTP_TIMEOUT must be a number of seconds, not {raw!r}") from None
    if not 0 < timeout <= 120:
        raise SettingsError(f"HTTP_TIMEOUT must be between 0 and 120 seconds, not {raw!r}")
    return timeout
