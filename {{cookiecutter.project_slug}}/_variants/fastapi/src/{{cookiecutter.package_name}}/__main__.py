"""`python3 -m {{ cookiecutter.package_name }}`: the development server, on HOST and PORT.

One process, so it migrates the database itself first (`alembic upgrade head`). Production
servers run several workers and never migrate: see "Deploying" in README.md.
"""

import uvicorn

from .startup import checked_settings, migrate


def main() -> None:
    host, port, settings = checked_settings()
    migrate(settings.database_url)
    # Imported once the settings are valid: a refused start does not load the web framework.
    from .app import create_app

    app = create_app(settings)
    # Forwarded headers count only from TRUSTED_PROXIES, which the App itself applies.
    uvicorn.run(app, host=host, port=port, proxy_headers=False)


if __name__ == "__main__":
    main()
