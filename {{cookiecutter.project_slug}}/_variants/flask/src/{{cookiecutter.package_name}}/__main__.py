"""`python3 -m {{ cookiecutter.package_name }}`: the development server, on HOST and PORT."""

import os
from pathlib import Path

from .app import create_app
from .settings import SettingsError


def main() -> None:
    try:
        app = create_app()
    except SettingsError as error:
        if not Path(".env").is_file():
            raise SystemExit(
                f"Cannot start: no .env in {Path.cwd()}: start the App from its project folder "
                f"(where .env is), or set its variables in the environment ({error})"
            ) from None
        raise SystemExit(f"Cannot start: {error}") from None
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    app.run(host=host, port=port)


if __name__ == "__main__":
    main()
