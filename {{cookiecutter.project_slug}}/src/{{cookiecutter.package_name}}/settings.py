"""Typed settings read from the environment and the `.env` file, validated at start-up."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from dotenv import dotenv_values
from dotenv.parser import parse_stream
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from .akeneo.oauth import MAX_SCOPE_LENGTH
from .akeneo.pim_url import InvalidPimUrl, normalize_allow_list_entry
from .akeneo.transport import DEFAULT_API_MAX_BYTES

ENVIRONMENTS = ("development", "production")
MIN_HTTP_TIMEOUT, MAX_HTTP_TIMEOUT = 1.0, 120.0
MIN_API_MAX_BYTES, MAX_API_MAX_BYTES = 100_000, 1_000_000_000
MAX_SESSION_LIFETIME_HOURS = 720
RECOMMENDED_ALLOW_LIST = "https://*.cloud.akeneo.com"


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
    app_url: str = ""  # empty in development only: the URL the browser used
    http_timeout: float = 10.0
    trusted_proxies: tuple[str, ...] = ()
    api_max_bytes: int = DEFAULT_API_MAX_BYTES
    session_lifetime: timedelta = timedelta(hours=12)
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

    @property
    def startup_warnings(self) -> list[str]:
        """What to log at start-up: valid settings that an operator should still review."""
        if self.development or self.allowed_pim_urls:
            return []
        return [
            "AKENEO_ALLOWED_PIM_URLS is empty: any PIM on a public address may connect to this "
            f"App. For an App published to Akeneo's cloud PIMs, set it to {RECOMMENDED_ALLOW_LIST}"
        ]


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> Settings:
    """Read settings from `environ` (default: the process environment) over `env_file`.

    `env_file` defaults to `.env` in the current folder; values already in the environment win.
    """
    env_file = (env_file or Path(".env")).absolute()
    values = _read_values(environ, env_file)

    environment = values.get("APP_ENV", "development").strip() or "development"
    if environment not in ENVIRONMENTS:
        raise SettingsError(
            f"APP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}"
        )
    development = environment == "development"

    settings = Settings(
        client_id=values.get("AKENEO_CLIENT_ID", "").strip(),
        client_secret=values.get("AKENEO_CLIENT_SECRET", "").strip(),
        allowed_pim_urls=_pim_urls(values.get("AKENEO_ALLOWED_PIM_URLS", ""), development),
        scopes=_scopes(values.get("AKENEO_SCOPES"), configured=env_file.is_file()),
{%- if cookiecutter.openid_connect %}
        openid_connect=_boolean(values.get("AKENEO_OPENID_CONNECT", "true")),
{%- endif %}
        secret_key=_secret_key(values.get("SECRET_KEY", "")),
        token_encryption_keys=_fernet_keys(values.get("TOKEN_ENCRYPTION_KEYS", "")),
        database_url=_database_url(values.get("DATABASE_URL", "sqlite:///app.db")),
        environment=environment,
        app_url=_app_url(values.get("APP_URL", ""), development),
        http_timeout=_http_timeout(values.get("HTTP_TIMEOUT", "10")),
        trusted_proxies=_trusted_proxies(values.get("TRUSTED_PROXIES", "")),
        api_max_bytes=_api_max_bytes(values.get("PIM_API_MAX_BYTES", str(DEFAULT_API_MAX_BYTES))),
        session_lifetime=_session_lifetime(values.get("SESSION_LIFETIME_HOURS", "12")),
        env_file=env_file if env_file.is_file() else None,
    )
    scope = " ".join(settings.requested_scopes)
    if len(scope) > MAX_SCOPE_LENGTH:
        raise SettingsError(
            f"AKENEO_SCOPES: the scopes asked for take {len(scope)} characters"
{%- if cookiecutter.openid_connect %}
            f"{' with openid email profile' if settings.openid_connect else ''}"
{%- endif %}
            f"; the PIM refuses more than {MAX_SCOPE_LENGTH}"
        )
    return settings


def server_address(environ: Mapping[str, str] | None = None) -> tuple[str, int]:
    """`HOST` and `PORT` for the development server (default 127.0.0.1:8000)."""
    values = os.environ if environ is None else environ
    host = values.get("HOST", "").strip() or "127.0.0.1"
    raw_port = values.get("PORT", "").strip() or "8000"
    port = int(raw_port) if raw_port.isdigit() else 0
    if not 1 <= port <= 65535:
        raise SettingsError(f"PORT must be a number from 1 to 65535, not {raw_port!r}")
    return host, port


def load_database_url(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> str:
    """DATABASE_URL read like `load_settings` reads it, for tools that need nothing else."""
    values = _read_values(environ, env_file)
    return _database_url(values.get("DATABASE_URL", "sqlite:///app.db"))


def _read_values(environ: Mapping[str, str] | None, env_file: Path | None) -> dict[str, str]:
    _check_env_file_syntax(env_file or Path(".env"))
    file_values = dotenv_values(env_file or Path(".env"))
    from_file = {name: value for name, value in file_values.items() if value is not None}
    return {**from_file, **(os.environ if environ is None else environ)}


def _pim_urls(raw: str, development: bool) -> tuple[str, ...]:
    urls = []
    for url in raw.replace(",", " ").split():
        try:
            urls.append(normalize_allow_list_entry(url, allow_http_loopback=development))
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
    # Messages show the URL with its password hidden, or not at all when it does not parse.
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise SettingsError("DATABASE_URL is not a database URL (e.g. sqlite:///app.db)") from None
    shown = url.render_as_string(hide_password=True)
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        raise SettingsError(
            f"DATABASE_URL {shown!r} names a database type this App does not know "
            "(use sqlite:///app.db or postgresql+psycopg://...)"
        ) from None
    try:
        dialect.import_dbapi()
    except ImportError:
        raise SettingsError(
            f"DATABASE_URL {shown!r} needs a database driver that is not installed "
            "(for PostgreSQL: .venv/bin/pip install -e '.[postgres]' and a URL starting with "
            "postgresql+psycopg://)"
        ) from None
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folder = Path(url.database).parent
        if not folder.is_dir():
            raise SettingsError(
                f"DATABASE_URL: the folder {str(folder)!r} of the SQLite file does not exist"
            )
    return raw.strip()


# A path prefix, for an App served below a folder of its host (e.g. /akeneo-app).
_PATH_PREFIX = re.compile(r"(/[A-Za-z0-9._~-]+)*")


def _app_url(raw: str, development: bool) -> str:
    """The App's own public URL: where the PIM and the App's pages send browsers."""
    value = raw.strip().rstrip("/")
    if not value:
        if development:
            return ""
        raise SettingsError(
            "APP_URL must be set outside development to the App's public https URL "
            "(e.g. https://akeneo-app.example.com)"
        )
    problem = _app_url_problem(value, development)
    if problem:
        raise SettingsError(f"APP_URL {value!r} {problem}")
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path}"


def _app_url_problem(value: str, development: bool) -> str | None:
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute URL such as https://akeneo-app.example.com"
    if parts.scheme != "https" and not development:
        return "must start with https:// outside development"
    if parts.username is not None or parts.password is not None:
        return "must not hold a user name or password"
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return "must not have a query or fragment"
    if not _PATH_PREFIX.fullmatch(parts.path):
        return "may have a path prefix only (letters, digits, . _ ~ -), such as /akeneo-app"
    return None


def _http_timeout(raw: str) -> float:
    try:
        timeout = float(raw)
    except ValueError:
        raise SettingsError(f"HTTP_TIMEOUT must be a number of seconds, not {raw!r}") from None
    if not MIN_HTTP_TIMEOUT <= timeout <= MAX_HTTP_TIMEOUT:
        raise SettingsError(
            f"HTTP_TIMEOUT must be between {MIN_HTTP_TIMEOUT:g} and {MAX_HTTP_TIMEOUT:g} "
            f"seconds, not {raw!r}"
        )
    return timeout


def _trusted_proxies(raw: str) -> tuple[str, ...]:
    networks = []
    for entry in raw.replace(",", " ").split():
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise SettingsError(
                f"TRUSTED_PROXIES: {entry!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _api_max_bytes(raw: str) -> int:
    value = raw.strip().replace("_", "")
    size = int(value) if value.isdigit() else 0
    if not MIN_API_MAX_BYTES <= size <= MAX_API_MAX_BYTES:
        raise SettingsError(
            f"PIM_API_MAX_BYTES must be a number of bytes from {MIN_API_MAX_BYTES} to "
            f"{MAX_API_MAX_BYTES}, not {raw!r}"
        )
    return size


def _session_lifetime(raw: str) -> timedelta:
    hours = int(raw.strip()) if raw.strip().isdigit() else 0
    if not 1 <= hours <= MAX_SESSION_LIFETIME_HOURS:
        raise SettingsError(
            f"SESSION_LIFETIME_HOURS must be a whole number of hours from 1 to "
            f"{MAX_SESSION_LIFETIME_HOURS}, not {raw!r}"
        )
    return timedelta(hours=hours)


# --- Names and syntax: a typo in .env or the environment is reported, never silently ignored ---

# Every variable the App reads. Any other name in .env, and any other AKENEO_* or APP_* variable
# in the environment, is most likely a typo: it gets a start-up warning naming the closest one.
SETTING_NAMES = frozenset(
    {
        "AKENEO_CLIENT_ID",
        "AKENEO_CLIENT_SECRET",
        "AKENEO_ALLOWED_PIM_URLS",
        "AKENEO_SCOPES",
{%- if cookiecutter.openid_connect %}
        "AKENEO_OPENID_CONNECT",
{%- endif %}
        "SECRET_KEY",
        "TOKEN_ENCRYPTION_KEYS",
        "DATABASE_URL",
        "APP_ENV",
        "APP_URL",
        "HTTP_TIMEOUT",
        "TRUSTED_PROXIES",
        "PIM_API_MAX_BYTES",
        "SESSION_LIFETIME_HOURS",
        "LOG_FORMAT",
        "HOST",
        "PORT",
        "WEB_CONCURRENCY",
        "WEB_THREADS",
    }
)
CHECKED_PREFIXES = ("AKENEO_", "APP_")
LOG_FORMATS = ("text", "json")


def unknown_variable_warnings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None
) -> list[str]:
    """One warning per variable that is not a setting, naming the closest setting if any."""
    in_file = {key: line for key, line in _names_in(env_file)}
    environment = os.environ if environ is None else environ
    suspects = set(in_file) | {name for name in environment if name.startswith(CHECKED_PREFIXES)}
    warnings = []
    for name in sorted(suspects - SETTING_NAMES):
        where = f".env line {in_file[name]}" if name in in_file else "the environment"
        closest = difflib.get_close_matches(name, SETTING_NAMES, n=1, cutoff=0.75)
        hint = f"did you mean {closest[0]}?" if closest else "it is ignored"
        warnings.append(f"{name} is not a setting: {hint} ({where})")
    return warnings


def load_log_format(environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> str:
    """LOG_FORMAT (`text`, the default, or `json`), read like `load_settings` reads settings."""
    raw = _read_values(environ, env_file).get("LOG_FORMAT", "").strip().lower() or "text"
    if raw not in LOG_FORMATS:
        raise SettingsError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {raw!r}")
    return raw


def _names_in(env_file: Path | None) -> list[tuple[str, int]]:
    """Each variable's name in the .env file, with its line number."""
    path = env_file or Path(".env")
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as stream:
        bindings = list(parse_stream(stream))
    return [(binding.key, binding.original.line) for binding in bindings if binding.key]


def _check_env_file_syntax(env_file: Path) -> None:
    # python-dotenv skips a line it cannot parse (an unclosed quote, a missing `=`...) and the
    # variable with it: the App would run without it. The line's text is never shown: it may
    # hold a secret.
    if not env_file.is_file():
        return
    with env_file.open(encoding="utf-8") as stream:
        for binding in parse_stream(stream):
            if binding.error:
                raise SettingsError(
                    f"{env_file.name} line {binding.original.line} cannot be read: write it as "
                    'NAME=value (quote a value with spaces: NAME="a b", quotes closed on the '
                    "same line)"
                )


def _scopes(raw: str | None, configured: bool) -> tuple[str, ...]:
    # An empty list would have the PIM grant nothing, without a word: refused when it is set so,
    # or missing from a .env (e.g. misspelt). Only an App given no configuration at all (no
    # .env, nothing in the environment) starts without scopes.
    scopes = tuple((raw or "").split())
    if not scopes and (raw is not None or configured):
        raise SettingsError(
            "AKENEO_SCOPES is empty: list the authorization scopes the App asks the PIM for, "
            'space-separated (e.g. AKENEO_SCOPES="read_channel_localization read_channel_settings")'
        )
    return scopes
