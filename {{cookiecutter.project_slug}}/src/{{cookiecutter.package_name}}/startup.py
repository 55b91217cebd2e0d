"""What `python3 -m {{ cookiecutter.package_name }}` checks before serving, for either framework.

Each step that fails stops the process with one line saying what to fix. Alembic (and, in
`__main__`, the web framework) is imported only once the settings are valid: a refused start
answers at once.
"""

import argparse
import errno
import logging
import socket
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from . import logs
from .settings import (
    Settings,
    SettingsError,
    load_log_format,
    load_settings,
    server_address,
    unknown_variable_warnings,
)

logger = logging.getLogger(__name__)
COMMAND = "python3 -m {{ cookiecutter.package_name }}"


@dataclass(frozen=True)
class ServeOptions:
    host: str | None
    port: int | None
    reload: bool


def command_line(argv: list[str] | None = None) -> ServeOptions:
    """The options of `serve`, the one command (and the default one)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--host", help="address to listen on (default: HOST, else 127.0.0.1)")
    options.add_argument("--port", type=int, help="port to listen on (default: PORT, else 8000)")
    options.add_argument(
        "--reload",
        action="store_true",
        help="restart on every change to the code, a template or a stylesheet (development)",
    )
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        parents=[options],
        description="Run the App: migrate the database (alembic upgrade head), then serve it.",
        epilog="Settings come from the environment, then .env in the current folder.",
    )
    commands = parser.add_subparsers(dest="command", title="commands")
    commands.add_parser(
        "serve", parents=[options], help="migrate, then serve (the default)", prog=COMMAND
    )
    arguments = parser.parse_args(argv)
    return ServeOptions(arguments.host, arguments.port, arguments.reload)


def checked_settings(options: ServeOptions) -> tuple[str, int, Settings]:
    """HOST, PORT and the settings, or an exit naming the setting to fix. Logging is set up
    first, so that the warnings about variables that are not settings are seen."""
    try:
        host, port = server_address()
        load_log_format()
        logs.configure()
        settings = load_settings()
    except SettingsError as error:
        if not Path(".env").is_file():
            raise SystemExit(
                f"Cannot start: no .env in {Path.cwd()}: start the App from its project folder "
                f"(where .env is), or set its variables in the environment ({error})"
            ) from None
        raise SystemExit(f"Cannot start: {error}") from None
    for warning in unknown_variable_warnings():
        logger.warning(warning)
    return options.host or host, options.port or port, settings


def refuse_a_taken_port(host: str, port: int) -> None:
    """Exit with one line, and the way out, when another process already listens there."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.create_server((host, port), family=family):
            return
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            return  # the server says what else is wrong
    raise SystemExit(
        f"Cannot start: port {port} on {host} is taken (another process listens there, perhaps "
        f"this App already running): stop it, or choose another port: PORT={port + 1} {COMMAND}"
    )


def migrate(database_url: str) -> None:
    """Bring the database to the latest migration (one process only), or exit saying why not."""
    from . import schema

    try:
        schema.upgrade(database_url)
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise SystemExit(f"Cannot start: the database cannot be migrated: {reason}") from None
