"""`python -m {{ cookiecutter.package_name }}`: the development server, on HOST and PORT."""

from .app import create_app
from .settings import SettingsError, server_address


def main() -> None:
    try:
        host, port = server_address()
        app = create_app()
    except SettingsError as error:
        raise SystemExit(f"Cannot start: {error}") from None
    app.run(host=host, port=port)


if __name__ == "__main__":
    main()
