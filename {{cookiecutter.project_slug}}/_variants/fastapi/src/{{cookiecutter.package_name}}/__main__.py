"""`python3 -m {{ cookiecutter.package_name }}`: the development server, on HOST and PORT.

One process, so it migrates the database itself first (`alembic upgrade head`). `--reload`
(`make dev`) restarts it on every change to the code, a template or a stylesheet. Production
servers run several workers and never migrate: see "Deploying" in README.md. `--help` lists the
options.
"""

import copy
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from .startup import checked_settings, command_line, migrate, refuse_a_taken_port

PACKAGE_DIR = Path(__file__).parent


def logging_config() -> dict[str, Any]:
    """uvicorn's own logging, with the App's loggers in the format LOG_FORMAT chooses. Given to
    uvicorn, it applies in the reloading server's processes too."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["app"] = {"()": f"{__package__}.logs.formatter"}
    config["handlers"]["app"] = {
        "class": "logging.StreamHandler",
        "formatter": "app",
        "stream": "ext://sys.stderr",
    }
    config["loggers"][__package__] = {"handlers": ["app"], "level": "INFO", "propagate": False}
    return config


def main(argv: list[str] | None = None) -> None:
    options = command_line(argv)
    host, port, settings = checked_settings(options)
    refuse_a_taken_port(host, port)
    migrate(settings.database_url)
    # Forwarded headers count only from TRUSTED_PROXIES, which the App itself applies.
    if options.reload:
        # The reloading server imports the App afresh in each new process (settings read again).
        uvicorn.run(
            f"{__package__}.app:create_app",
            factory=True,
            host=host,
            port=port,
            proxy_headers=False,
            log_config=logging_config(),
            reload=True,
            reload_dirs=[str(PACKAGE_DIR)],
            reload_includes=["*.py", "*.html", "*.css"],
        )
        return
    # Imported once the settings are valid: a refused start does not load the web framework.
    from .app import create_app

    app = create_app(settings)
    uvicorn.run(app, host=host, port=port, proxy_headers=False, log_config=logging_config())


if __name__ == "__main__":
    main()
