"""The daily loop: `python3 -m {{ cookiecutter.package_name }}`'s options, its messages, its logs, and
settings that catch typos instead of ignoring them."""

import json
import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from {{ cookiecutter.package_name }} import logs
{%- if cookiecutter.framework == "fastapi" %}
from {{ cookiecutter.package_name }}.app import create_app
{%- endif %}
from {{ cookiecutter.package_name }}.settings import (
    SettingsError,
    load_log_format,
    load_settings,
    unknown_variable_warnings,
)
from {{ cookiecutter.package_name }}.startup import ServeOptions, command_line, refuse_a_taken_port

PROJECT = Path(__file__).resolve().parents[1]
FLOW_LOGGER = "{{ cookiecutter.package_name }}.flow"
VALID = {"SECRET_KEY": "k" * 40, "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode()}


def test_help_lists_serve_and_its_options_without_starting() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", "--help"],
        cwd=PROJECT,
        env={"PYTHONPATH": str(PROJECT / "src"), "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python3 -m {{ cookiecutter.package_name }}")
    assert "serve" in result.stdout and "migrate, then serve (the default)" in result.stdout
    for option in ("--host", "--port", "--reload"):
        assert option in result.stdout


def test_serve_is_the_default_command_with_the_same_options() -> None:
    assert command_line([]) == ServeOptions(host=None, port=None, reload=False)
    assert command_line(["--port", "9000"]) == command_line(["serve", "--port", "9000"])
    assert command_line(["serve", "--reload", "--host", "::1"]) == ServeOptions("::1", None, True)


def test_a_taken_port_stops_the_start_with_the_port_hint() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as stopped:
            refuse_a_taken_port("127.0.0.1", port)

    message = str(stopped.value.code)
    assert message.startswith(f"Cannot start: port {port} on 127.0.0.1 is taken")
    assert f"PORT={port + 1} python3 -m {{ cookiecutter.package_name }}" in message


def test_a_free_port_is_left_free() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]

    refuse_a_taken_port("127.0.0.1", port)

    with socket.create_server(("127.0.0.1", port)):
        pass


def test_a_misspelt_variable_in_env_is_named_with_the_closest_setting(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# settings\nAKENEO_SCOPE=read_products\nDATABSE_URL=sqlite:///x.db\n")

    warnings = unknown_variable_warnings({}, env_file)

    assert warnings == [
        "AKENEO_SCOPE is not a setting: did you mean AKENEO_SCOPES? (.env line 2)",
        "DATABSE_URL is not a setting: did you mean DATABASE_URL? (.env line 3)",
    ]


def test_an_unknown_akeneo_variable_in_the_environment_is_named(tmp_path: Path) -> None:
    environment = {"AKENEO_CLIENT_IDD": "x", "APP_COLOUR": "blue", "PATH": "/usr/bin"}

    warnings = unknown_variable_warnings(environment, tmp_path / "absent.env")

    assert warnings == [
        "AKENEO_CLIENT_IDD is not a setting: did you mean AKENEO_CLIENT_ID? (the environment)",
        "APP_COLOUR is not a setting: it is ignored (the environment)",
    ]


def test_a_generated_env_file_has_no_unknown_variable() -> None:
    assert unknown_variable_warnings({}, PROJECT / ".env.example") == []


@pytest.mark.parametrize("scopes", ['AKENEO_SCOPES=""', "AKENEO_SCOPE=read_products"])
def test_an_empty_scope_list_is_refused(tmp_path: Path, scopes: str) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"{scopes}\n")

    with pytest.raises(SettingsError, match="AKENEO_SCOPES is empty: list the authorization"):
        load_settings(VALID, env_file=env_file)


def test_an_env_line_that_cannot_be_read_stops_with_its_number(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text('AKENEO_SCOPES=read_products\nAKENEO_CLIENT_SECRET="s3cret\nAPP_ENV=x\n')

    with pytest.raises(SettingsError) as refused:
        load_settings(VALID, env_file=env_file)

    assert str(refused.value).startswith(".env line 2 cannot be read: write it as NAME=value")
    assert "s3cret" not in str(refused.value)


def test_log_lines_are_text_by_default_and_json_on_request(tmp_path: Path) -> None:
    record = logging.LogRecord(FLOW_LOGGER, logging.INFO, "", 0, "Connected %s", ("x",), None)
    absent = tmp_path / "absent.env"

    assert load_log_format({}, absent) == "text"
    text = logs.formatter().format(record)
    assert text.endswith(f" INFO {FLOW_LOGGER}: Connected x")
    line = json.loads(logs.JsonFormatter().format(record))
    assert {key: line[key] for key in ("level", "logger", "message")} == {
        "level": "INFO",
        "logger": FLOW_LOGGER,
        "message": "Connected x",
    }
    with pytest.raises(SettingsError, match="LOG_FORMAT must be one of text, json, not 'xml'"):
        load_log_format({"LOG_FORMAT": "xml"}, absent)


def test_the_apps_own_log_lines_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    package = logging.getLogger("{{ cookiecutter.package_name }}")
    handlers, level = package.handlers[:], package.level
    package.handlers.clear()
    logs.configure()
    try:
        logging.getLogger(FLOW_LOGGER).info(
            "Connected https://pim.example.test with scopes read_products"
        )
    finally:  # as the other tests expect it
        package.handlers[:] = handlers
        package.setLevel(level)

    assert f"INFO {FLOW_LOGGER}: Connected https://pim.example.test" in capsys.readouterr().err
{%- if cookiecutter.framework == "fastapi" %}


def test_the_uvicorn_command_names_a_misspelt_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = [f"{name}={value}" for name, value in VALID.items()]
    env = [*settings, "AKENEO_SCOPES=read_products", "AKENEO_SCOPE=read_products", ""]
    (tmp_path / ".env").write_text("\n".join(env))
    monkeypatch.chdir(tmp_path)
    for name in ("AKENEO_SCOPES", "DATABASE_URL", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)

    with caplog.at_level(logging.WARNING, logger="{{ cookiecutter.package_name }}.app"):
        # What `uvicorn {{ cookiecutter.package_name }}.app:create_app --factory` calls.
        app = create_app()
    app.state.storage.close()

    assert "AKENEO_SCOPE is not a setting: did you mean AKENEO_SCOPES? (.env line 4)" in (
        caplog.text
    )
{%- endif %}
