"""`python3 -m {{ cookiecutter.package_name }}`: the development server, on HOST and PORT.

One process, so it migrates the database itself first (`alembic upgrade head`). `--reload`
(`make dev`) restarts it on every change to the code, a template or a stylesheet. Production
servers run several workers and never migrate: see "Deploying" in README.md. `--help` lists the
options.
"""

import os
from pathlib import Path

from .startup import checked_settings, command_line, migrate, refuse_a_taken_port

PACKAGE_DIR = Path(__file__).parent


def main(argv: list[str] | None = None) -> None:
    options = command_line(argv)
    host, port, settings = checked_settings(options)
    # The reloader's server process finds the port held for it by the watching process.
    if os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        refuse_a_taken_port(host, port)
    migrate(settings.database_url)
    # Imported once the settings are valid: a refused start does not load the web framework.
    from .app import close, create_app

    app = create_app(settings)
    watched = [str(path) for path in PACKAGE_DIR.glob("*/*") if path.suffix in (".html", ".css")]
    try:
        app.run(host=host, port=port, use_reloader=options.reload, extra_files=watched)
    finally:
        close(app)


if __name__ == "__main__":
    main()
