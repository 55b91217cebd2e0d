"""`python3 -m {{ cookiecutter.package_name }}`: the development server, on HOST and PORT.

One process, so it migrates the database itself first (`alembic upgrade head`). Production
servers run several workers and never migrate: see "Deploying" in README.md.
"""

from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from .settings import Settings, SettingsError, load_settings, server_address

if TYPE_CHECKING:
    from fastapi import FastAPI


def main() -> None:
    try:
        host, port = server_address()
        settings = load_settings()
    except SettingsError as error:
        if not Path(".env").is_file():
            raise SystemExit(
                f"Cannot start: no .env in {Path.cwd()}: start the App from its project folder "
                f"(where .env is), or set its variables in the environment ({error})"
            ) from None
        raise SystemExit(f"Cannot start: {error}") from None
    app = migrated_app(settings)
    # Forwarded headers count only from TRUSTED_PROXIES, which the App itself applies.
    uvicorn.run(app, host=host, port=port, proxy_headers=False)


def migrated_app(settings: Settings) -> "FastAPI":
    """The App, once its database is at the latest migration."""
    # Imported once the settings are known to be valid: a refused start answers at once,
    # without loading the web framework and Alembic.
    from . import schema
    from .app import create_app

    try:
        schema.upgrade(settings.database_url)
        return create_app(settings)
    except schema.SchemaError as error:
        raise SystemExit(f"Cannot start: {error}") from None
    except SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        raise SystemExit(f"Cannot start: the database cannot be migrated: {reason}") from None


if __name__ == "__main__":
    main()
