"""Settings from the environment and `.env`: values, precedence, and one clear error per mistake."""

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from {{ cookiecutter.package_name }}.settings import (
    Settings,
    SettingsError,
    load_database_url,
    load_settings,
    server_address,
)

SECRET_KEY = "s" * 32
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
VALID = {
    "SECRET_KEY": SECRET_KEY,
    "TOKEN_ENCRYPTION_KEYS": KEY_A,
    "APP_URL": "https://app.example.test",  # required in production
}


@pytest.fixture
def no_env_file(tmp_path: Path) -> Path:
    """A `.env` path that does not exist, so only the given environment counts."""
    return tmp_path / "absent.env"


def load(no_env_file: Path, **values: str) -> Settings:
    return load_settings({**VALID, **values}, env_file=no_env_file)


def test_settings_come_from_the_given_environment(no_env_file: Path, tmp_path: Path) -> None:
    settings = load(
        no_env_file,
        AKENEO_CLIENT_ID=" the-client-id ",
        AKENEO_CLIENT_SECRET="the-client-secret",
        AKENEO_SCOPES="read_products  read_channel_settings",
        DATABASE_URL=f"sqlite:///{tmp_path}/data.db",
        APP_ENV="production",
        HTTP_TIMEOUT="2.5",
        PIM_API_MAX_BYTES="20000000",
        SESSION_LIFETIME_HOURS="48",
        TOKEN_ENCRYPTION_KEYS=f"{KEY_B}, {KEY_A}",
    )

    assert settings.client_id == "the-client-id"
    assert settings.client_secret == "the-client-secret"
    assert settings.scopes == ("read_products", "read_channel_settings")
    assert settings.secret_key == SECRET_KEY
    assert settings.token_encryption_keys == (KEY_B, KEY_A)
    assert settings.database_url == f"sqlite:///{tmp_path}/data.db"
    assert settings.environment == "production"
    assert settings.development is False
    assert settings.http_timeout == 2.5
    assert settings.api_max_bytes == 20_000_000
    assert settings.session_lifetime == timedelta(hours=48)
    assert settings.missing_credentials == []


def test_defaults_apply_to_what_is_not_set(no_env_file: Path) -> None:
    settings = load(no_env_file)

    assert settings.environment == "development"
    assert settings.development is True
    assert settings.database_url == "sqlite:///app.db"
    assert settings.http_timeout == 10.0
    assert settings.api_max_bytes == 10_000_000
    assert settings.session_lifetime == timedelta(hours=12)
    assert settings.allowed_pim_urls == ()
    assert settings.scopes == ()
{%- if cookiecutter.openid_connect %}
    assert settings.openid_connect is True
{%- endif %}


def test_settings_are_read_from_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# written by the template\n"
        "AKENEO_CLIENT_ID=file-client-id\n"
        "AKENEO_CLIENT_SECRET=file-client-secret\n"
        'AKENEO_SCOPES="read_products read_channel_settings"\n'
        f"SECRET_KEY={SECRET_KEY}\n"
        f"TOKEN_ENCRYPTION_KEYS={KEY_A}\n"
        "HTTP_TIMEOUT=7\n"
    )

    settings = load_settings({}, env_file=env_file)

    assert settings.client_id == "file-client-id"
    assert settings.client_secret == "file-client-secret"
    assert settings.scopes == ("read_products", "read_channel_settings")
    assert settings.token_encryption_keys == (KEY_A,)
    assert settings.http_timeout == 7.0


def test_trusted_proxies_are_addresses_and_networks(no_env_file: Path) -> None:
    settings = load(no_env_file, TRUSTED_PROXIES="10.0.0.0/8, 127.0.0.1 ::1 192.168.1.7/24")

    assert settings.trusted_proxies == ("10.0.0.0/8", "127.0.0.1/32", "::1/128", "192.168.1.0/24")


def test_no_proxy_is_trusted_by_default(no_env_file: Path) -> None:
    assert load(no_env_file).trusted_proxies == ()


def test_migrations_read_the_database_url_like_the_app(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=sqlite:///from-file.db\nSECRET_KEY=short\n")

    assert load_database_url({}, env_file=env_file) == "sqlite:///from-file.db"
    assert load_database_url({"DATABASE_URL": " sqlite:///env.db "}, env_file) == "sqlite:///env.db"
    assert load_database_url({}, env_file=tmp_path / "absent.env") == "sqlite:///app.db"
    with pytest.raises(SettingsError, match="DATABASE_URL 'foo://bar' names a database"):
        load_database_url({"DATABASE_URL": "foo://bar"}, env_file)


def test_the_environment_wins_over_the_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "AKENEO_CLIENT_ID=file-client-id\n"
        "AKENEO_CLIENT_SECRET=file-client-secret\n"
        "AKENEO_SCOPES=read_products\n"
        f"SECRET_KEY={SECRET_KEY}\n"
        f"TOKEN_ENCRYPTION_KEYS={KEY_A}\n"
        "APP_ENV=production\n"
    )

    settings = load_settings(
        {"AKENEO_CLIENT_ID": "env-client-id", "APP_ENV": "development"}, env_file=env_file
    )

    assert settings.client_id == "env-client-id"
    assert settings.client_secret == "file-client-secret"
    assert settings.environment == "development"


def test_the_env_file_of_the_current_folder_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        f"AKENEO_CLIENT_ID=from-dot-env\nSECRET_KEY={SECRET_KEY}\nTOKEN_ENCRYPTION_KEYS={KEY_A}\n"
        "AKENEO_SCOPES=read_products\n"
    )
    monkeypatch.chdir(tmp_path)

    assert load_settings({}).client_id == "from-dot-env"


def test_the_process_environment_is_the_default(
    no_env_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AKENEO_CLIENT_ID", "from-process")
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("TOKEN_ENCRYPTION_KEYS", KEY_A)
    for name in (
        "AKENEO_CLIENT_SECRET",
        "AKENEO_ALLOWED_PIM_URLS",
        "AKENEO_SCOPES",
{%- if cookiecutter.openid_connect %}
        "AKENEO_OPENID_CONNECT",
{%- endif %}
        "DATABASE_URL",
        "APP_ENV",
        "HTTP_TIMEOUT",
        "TRUSTED_PROXIES",
        "PIM_API_MAX_BYTES",
        "SESSION_LIFETIME_HOURS",
    ):
        monkeypatch.delenv(name, raising=False)

    assert load_settings(env_file=no_env_file).client_id == "from-process"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, ["AKENEO_CLIENT_ID", "AKENEO_CLIENT_SECRET"]),
        (
            {"AKENEO_CLIENT_ID": "", "AKENEO_CLIENT_SECRET": "  "},
            ["AKENEO_CLIENT_ID", "AKENEO_CLIENT_SECRET"],
        ),
        ({"AKENEO_CLIENT_ID": "the-client-id"}, ["AKENEO_CLIENT_SECRET"]),
        ({"AKENEO_CLIENT_SECRET": "the-client-secret"}, ["AKENEO_CLIENT_ID"]),
    ],
    ids=["both-absent", "both-blank", "secret-missing", "id-missing"],
)
def test_empty_credentials_are_listed_not_raised(
    no_env_file: Path, values: dict[str, str], expected: list[str]
) -> None:
    assert load(no_env_file, **values).missing_credentials == expected


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"APP_ENV": "staging"}, "APP_ENV must be one of development, production, not 'staging'"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "s" * 31}, "SECRET_KEY must be set to a random string of at least 32"),
        ({"SECRET_KEY": f"  {'s' * 30}  "}, "SECRET_KEY"),
        ({"TOKEN_ENCRYPTION_KEYS": ""}, "TOKEN_ENCRYPTION_KEYS must hold at least one Fernet key"),
        ({"TOKEN_ENCRYPTION_KEYS": " , "}, "TOKEN_ENCRYPTION_KEYS must hold at least one"),
        ({"TOKEN_ENCRYPTION_KEYS": "not-a-key"}, "TOKEN_ENCRYPTION_KEYS: key number 1 is not"),
        ({"TOKEN_ENCRYPTION_KEYS": f"{KEY_A},{KEY_B[:-2]}"}, "TOKEN_ENCRYPTION_KEYS: key number 2"),
        ({"TOKEN_ENCRYPTION_KEYS": f"{KEY_A} {KEY_B} x"}, "TOKEN_ENCRYPTION_KEYS: key number 3"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL is not a database URL"),
        ({"DATABASE_URL": ""}, "DATABASE_URL is not a database URL"),
        ({"DATABASE_URL": "foo://bar"}, "DATABASE_URL 'foo://bar' names a database type"),
        (
            {"DATABASE_URL": "sqlite:////nonexistent-folder/app.db"},
            "DATABASE_URL: the folder '/nonexistent-folder' of the SQLite file does not exist",
        ),
        ({"HTTP_TIMEOUT": "ten"}, "HTTP_TIMEOUT must be a number of seconds, not 'ten'"),
        ({"HTTP_TIMEOUT": ""}, "HTTP_TIMEOUT must be a number of seconds"),
        ({"HTTP_TIMEOUT": "0"}, "HTTP_TIMEOUT must be between 1 and 120 seconds, not '0'"),
        ({"HTTP_TIMEOUT": "1e-9"}, "HTTP_TIMEOUT must be between 1 and 120 seconds, not '1e-9'"),
        ({"HTTP_TIMEOUT": "0.5"}, "HTTP_TIMEOUT must be between 1 and 120 seconds"),
        ({"HTTP_TIMEOUT": "-1"}, "HTTP_TIMEOUT must be between 1 and 120 seconds"),
        ({"HTTP_TIMEOUT": "120.5"}, "HTTP_TIMEOUT must be between 1 and 120 seconds"),
        ({"HTTP_TIMEOUT": "nan"}, "HTTP_TIMEOUT must be between 1 and 120 seconds"),
        ({"HTTP_TIMEOUT": "inf"}, "HTTP_TIMEOUT must be between 1 and 120 seconds"),
        ({"PIM_API_MAX_BYTES": "ten"}, "PIM_API_MAX_BYTES must be a number of bytes from"),
        ({"PIM_API_MAX_BYTES": "99999"}, "PIM_API_MAX_BYTES must be a number of bytes from"),
        ({"PIM_API_MAX_BYTES": "-1"}, "PIM_API_MAX_BYTES must be a number of bytes from"),
        ({"SESSION_LIFETIME_HOURS": "0"}, "SESSION_LIFETIME_HOURS must be a whole number of"),
        ({"SESSION_LIFETIME_HOURS": "721"}, "hours from 1 to 720, not '721'"),
        ({"SESSION_LIFETIME_HOURS": "1.5"}, "SESSION_LIFETIME_HOURS must be a whole number of"),
        ({"SESSION_LIFETIME_HOURS": "forever"}, "SESSION_LIFETIME_HOURS must be a whole number"),
        ({"AKENEO_SCOPES": "read_products " * 72}, "AKENEO_SCOPES: the scopes asked for take"),
        (
            {"AKENEO_ALLOWED_PIM_URLS": "https://*.com"},
            "AKENEO_ALLOWED_PIM_URLS: 'https://*.com' is not allowed: a pattern must be",
        ),
        (
            {"AKENEO_ALLOWED_PIM_URLS": "https://pim.*.example.com"},
            "AKENEO_ALLOWED_PIM_URLS: 'https://pim.*.example.com' is not allowed",
        ),
        ({"TRUSTED_PROXIES": "proxy.internal"}, "TRUSTED_PROXIES: 'proxy.internal' is not an IP"),
        ({"TRUSTED_PROXIES": "10.0.0.0/33"}, "TRUSTED_PROXIES: '10.0.0.0/33' is not an IP"),
        (
            {"AKENEO_ALLOWED_PIM_URLS": "https://pim.example.com ftp://other.example.com"},
            "AKENEO_ALLOWED_PIM_URLS: 'ftp://other.example.com' is not allowed",
        ),
        (
            {"AKENEO_ALLOWED_PIM_URLS": "https://pim.example.com/some/path"},
            "AKENEO_ALLOWED_PIM_URLS: 'https://pim.example.com/some/path' is not allowed: "
            "the URL must not have a path",
        ),
{%- if cookiecutter.openid_connect %}
        (
            {"AKENEO_OPENID_CONNECT": "maybe"},
            "AKENEO_OPENID_CONNECT must be true or false, not 'maybe'",
        ),
        ({"AKENEO_OPENID_CONNECT": ""}, "AKENEO_OPENID_CONNECT must be true or false"),
{%- endif %}
    ],
    ids=[
        "unknown-app-env",
        "secret-key-missing",
        "secret-key-short",
        "secret-key-short-once-stripped",
        "encryption-keys-missing",
        "encryption-keys-only-separators",
        "encryption-key-invalid",
        "second-encryption-key-truncated",
        "third-encryption-key-invalid",
        "database-url-malformed",
        "database-url-empty",
        "database-url-unknown-dialect",
        "sqlite-file-in-a-missing-folder",
        "timeout-not-a-number",
        "timeout-empty",
        "timeout-zero",
        "timeout-a-nanosecond",
        "timeout-half-a-second",
        "timeout-negative",
        "timeout-too-long",
        "timeout-nan",
        "timeout-infinite",
        "api-max-bytes-not-a-number",
        "api-max-bytes-too-small",
        "api-max-bytes-negative",
        "session-lifetime-zero",
        "session-lifetime-over-30-days",
        "session-lifetime-fractional",
        "session-lifetime-not-a-number",
        "scopes-over-1000-characters",
        "allow-list-pattern-too-broad",
        "allow-list-wildcard-inside",
        "trusted-proxy-name",
        "trusted-proxy-bad-network",
        "allowed-pim-url-not-http",
        "allowed-pim-url-with-path",
{%- if cookiecutter.openid_connect %}
        "openid-connect-not-a-boolean",
        "openid-connect-empty",
{%- endif %}
    ],
)
def test_each_invalid_setting_is_named_in_its_error(
    no_env_file: Path, values: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as invalid:
        load(no_env_file, **values)

    assert message in str(invalid.value)


@pytest.mark.parametrize(
    ("database_url", "message"),
    [
        (
            "postgresql://app:s3cret-password@db/app",
            "DATABASE_URL 'postgresql://app:***@db/app' needs a database driver that is "
            "not installed (for PostgreSQL: .venv/bin/pip install -e '.[postgres]' and a URL "
            "starting with postgresql+psycopg://)",
        ),
        (
            "mystery://app:s3cret-password@db/app",
            "DATABASE_URL 'mystery://app:***@db/app' names a database type this App does not know",
        ),
        ("postgresql://app:s3cret-password@db:port/app", "DATABASE_URL is not a database URL"),
    ],
    ids=["driver-not-installed", "unknown-database-type", "unreadable-url"],
)
def test_a_refused_database_url_never_shows_its_password(
    no_env_file: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, message: str
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the driver were not installed
    with pytest.raises(SettingsError) as refused:
        load(no_env_file, DATABASE_URL=database_url)

    assert message in str(refused.value)
    assert "s3cret-password" not in str(refused.value)
    assert "\n" not in str(refused.value)


def test_scopes_of_1000_characters_are_accepted(no_env_file: Path) -> None:
{%- if cookiecutter.openid_connect %}
    scopes = "s" * (1000 - len(" openid email profile"))
{%- else %}
    scopes = "s" * 1000
{%- endif %}
    settings = load(no_env_file, AKENEO_SCOPES=scopes)

    assert len(" ".join(settings.requested_scopes)) == 1000


def test_the_server_address_defaults_to_loopback_port_8000() -> None:
    assert server_address({}) == ("127.0.0.1", 8000)
    assert server_address({"HOST": "0.0.0.0", "PORT": "8080"}) == ("0.0.0.0", 8080)


@pytest.mark.parametrize("port", ["abc", "0", "65536", "-1", "80.5"])
def test_a_port_that_is_not_a_port_is_named_in_its_error(port: str) -> None:
    with pytest.raises(SettingsError) as refused:
        server_address({"PORT": port})

    assert str(refused.value) == f"PORT must be a number from 1 to 65535, not {port!r}"


def test_a_missing_secret_key_is_named_even_without_a_value(no_env_file: Path) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings({"TOKEN_ENCRYPTION_KEYS": KEY_A}, env_file=no_env_file)


def test_a_missing_encryption_key_is_named_even_without_a_value(no_env_file: Path) -> None:
    with pytest.raises(SettingsError, match="TOKEN_ENCRYPTION_KEYS"):
        load_settings({"SECRET_KEY": SECRET_KEY}, env_file=no_env_file)


@pytest.mark.parametrize(
    ("app_env", "environment"),
    [("", "development"), (" production ", "production"), ("development", "development")],
    ids=["empty", "padded", "explicit"],
)
def test_app_env_is_trimmed_and_defaults_to_development(
    no_env_file: Path, app_env: str, environment: str
) -> None:
    assert load(no_env_file, APP_ENV=app_env).environment == environment


@pytest.mark.parametrize("timeout", ["120", "1", " 30 ", "2.5"])
def test_a_timeout_in_range_is_accepted(no_env_file: Path, timeout: str) -> None:
    assert load(no_env_file, HTTP_TIMEOUT=timeout).http_timeout == float(timeout)


def test_allowed_pim_urls_are_normalised(no_env_file: Path) -> None:
    settings = load(
        no_env_file,
        AKENEO_ALLOWED_PIM_URLS="https://PIM-A.Example.com/, https://pim-b.example.com:443\n"
        "https://pim-c.example.com:8443",
    )

    assert settings.allowed_pim_urls == (
        "https://pim-a.example.com",
        "https://pim-b.example.com",
        "https://pim-c.example.com:8443",
    )


def test_allow_list_patterns_are_normalised(no_env_file: Path) -> None:
    settings = load(
        no_env_file,
        AKENEO_ALLOWED_PIM_URLS="https://*.Cloud.Akeneo.com/ https://*.example.com:8443",
    )

    assert settings.allowed_pim_urls == ("https://*.cloud.akeneo.com", "https://*.example.com:8443")


def test_an_empty_allow_list_in_production_is_warned_about(no_env_file: Path) -> None:
    [warning] = load(no_env_file, APP_ENV="production").startup_warnings

    assert "AKENEO_ALLOWED_PIM_URLS is empty" in warning
    assert "https://*.cloud.akeneo.com" in warning


@pytest.mark.parametrize(
    "values",
    [{}, {"APP_ENV": "production", "AKENEO_ALLOWED_PIM_URLS": "https://*.cloud.akeneo.com"}],
    ids=["development", "production-with-allow-list"],
)
def test_no_warning_when_the_allow_list_is_set_or_in_development(
    no_env_file: Path, values: dict[str, str]
) -> None:
    assert load(no_env_file, **values).startup_warnings == []


def test_http_on_loopback_is_allowed_in_development(no_env_file: Path) -> None:
    settings = load(no_env_file, AKENEO_ALLOWED_PIM_URLS="http://127.0.0.1:8081 http://localhost/")

    assert settings.allowed_pim_urls == ("http://127.0.0.1:8081", "http://localhost")


def test_http_on_loopback_is_refused_in_production(no_env_file: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        load(no_env_file, APP_ENV="production", AKENEO_ALLOWED_PIM_URLS="http://127.0.0.1:8081")

    assert "AKENEO_ALLOWED_PIM_URLS: 'http://127.0.0.1:8081'" in str(refused.value)
    assert "must use https" in str(refused.value)
{%- if cookiecutter.openid_connect %}


@pytest.mark.parametrize("raw", ["true", "TRUE", "1", "yes", " on "])
def test_openid_connect_adds_the_authentication_scopes(no_env_file: Path, raw: str) -> None:
    settings = load(no_env_file, AKENEO_SCOPES="read_products", AKENEO_OPENID_CONNECT=raw)

    assert settings.openid_connect is True
    assert settings.requested_scopes == ("read_products", "openid", "email", "profile")


@pytest.mark.parametrize("raw", ["false", "False", "0", "no", "off"])
def test_without_openid_connect_only_the_authorization_scopes_are_asked(
    no_env_file: Path, raw: str
) -> None:
    settings = load(no_env_file, AKENEO_SCOPES="read_products", AKENEO_OPENID_CONNECT=raw)

    assert settings.openid_connect is False
    assert settings.requested_scopes == ("read_products",)
{%- else %}


def test_the_requested_scopes_are_the_configured_ones(no_env_file: Path) -> None:
    settings = load(no_env_file, AKENEO_SCOPES="read_products read_channel_settings")

    assert settings.requested_scopes == ("read_products", "read_channel_settings")
{%- endif %}
