"""What `python3 -m {{ cookiecutter.package_name }}` checks before serving, for either framework.

Each step that fails stops the process with one line saying what to fix. Alembic (and, in
`__main__`, the web framework) is imported only once the settings are valid: a refused start
answers at once.
"""

from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from .settings import Settings, SettingsError, load_settings, server_address


def checked_settings() -> tuple[str, int, Settings]:
    """HOST, PORT and the settings, or an exit naming the setting to fix."""
    try:
        host, port = server_address()
        return host, port, load_settings()
    except SettingsError as error:
        if not Path(".env").is_file():
            raise SystemExit(
                f"Cannot start: no .env in {Path.cwd()}: start the App from its project folder "
                f"(where .env is), or set its variables in the environment ({error})"
            ) from None
        raise SystemExit(f"Cannot start: {error}") from None


def migrate(database_url: str) -> None:
    """Bring the database to the latest migration (one process only), or exit saying why not."""
    from . import schema

    try:
        schema.upgrade(database_url)
    except schema.SchemaError as error:
        raise SystemExit(f"Cannot start: {error}") from None
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise SystemExit(f"Cannot start: the database cannot be migrated: {reason}") from None
