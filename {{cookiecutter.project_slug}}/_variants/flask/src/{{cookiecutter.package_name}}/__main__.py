"""`python3 -m {{ cookiecutter.package_name }}`: the development server, on HOST and PORT.

One process, so it migrates the database itself first (`alembic upgrade head`). Production
servers run several workers and never migrate: see "Deploying" in README.md.
"""

from .startup import checked_settings, migrate


def main() -> None:
    host, port, settings = checked_settings()
    migrate(settings.database_url)
    # Imported once the settings are valid: a refused start does not load the web framework.
    from .app import create_app

    app = create_app(settings)
    app.run(host=host, port=port)


if __name__ == "__main__":
    main()
