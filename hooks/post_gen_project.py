"""Finish the generated project: keep the chosen variant's files, write .env and .env.example.

Standard library only. Answers are read as data (JSON), never pasted into code.
"""

import base64
import json
import os
import secrets
import shutil
import sys
from pathlib import Path

ANSWERS = json.loads(r'''{{ cookiecutter | tojson }}''')  # fmt: skip
PROJECT = Path.cwd()
VARIANTS = PROJECT / "_variants"

# Each variable of .env, with the comment that documents it in .env.example.
VARIABLES = {
    "AKENEO_CLIENT_ID": "Client id of the App declared in the PIM (Connect > App Store).",
    "AKENEO_CLIENT_SECRET": "Client secret of that App. Never commit it.",
    "AKENEO_ALLOWED_PIM_URLS": "PIMs allowed to connect, space-separated; empty allows any PIM.",
    "AKENEO_SCOPES": "Authorization scopes the App asks for, space-separated.",
    "AKENEO_OPENID_CONNECT": "true to identify the PIM user with OpenID Connect.",
    "SECRET_KEY": "Signs the session cookie: a random string of 32 characters or more.",
    "TOKEN_ENCRYPTION_KEYS": "Fernet keys for stored tokens; the first encrypts, all decrypt.",
    "DATABASE_URL": "SQLAlchemy URL, e.g. postgresql+psycopg://user:password@host/db.",
    "APP_ENV": "development (http on localhost allowed) or production (https only).",
    "HTTP_TIMEOUT": "Seconds to wait for a PIM before giving up.",
    "TRUSTED_PROXIES": "Proxy addresses or networks whose X-Forwarded-Proto/-For are believed.",
    "PIM_API_MAX_BYTES": "Largest PIM API answer read, in bytes once decompressed.",
}
# Left empty in the tracked .env.example: secrets, and what is this installation's own.
NOT_IN_EXAMPLE = ("AKENEO_CLIENT_ID", "AKENEO_CLIENT_SECRET", "SECRET_KEY", "TOKEN_ENCRYPTION_KEYS")


def keep_chosen_variants() -> None:
    """Move the chosen framework's (and OpenID's) files into place; drop the others."""
    chosen = [ANSWERS["framework"]] + (["openid"] if ANSWERS["openid_connect"] else [])
    for name in chosen:
        variant = VARIANTS / name
        for source in sorted(variant.rglob("*")):
            if source.is_file():
                target = PROJECT / source.relative_to(variant)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(source, target)
    shutil.rmtree(VARIANTS)


def settings() -> dict[str, str]:
    values = {
        "AKENEO_CLIENT_ID": os.environ.get("AKENEO_CLIENT_ID") or ANSWERS["client_id"],
        "AKENEO_CLIENT_SECRET": os.environ.get("AKENEO_CLIENT_SECRET") or ANSWERS["client_secret"],
        "AKENEO_ALLOWED_PIM_URLS": ANSWERS["pim_url"].rstrip("/"),
        "AKENEO_SCOPES": ANSWERS["scopes"],
        "AKENEO_OPENID_CONNECT": "true",
        "SECRET_KEY": secrets.token_urlsafe(48),
        # Fernet's key format: 32 random bytes, url-safe base64.
        "TOKEN_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DATABASE_URL": "sqlite:///app.db",
        "APP_ENV": "development",
        "HTTP_TIMEOUT": "10",
        "TRUSTED_PROXIES": "",
        "PIM_API_MAX_BYTES": "10000000",
    }
    if not ANSWERS["openid_connect"]:
        del values["AKENEO_OPENID_CONNECT"]
    return values


def env_line(name: str, value: str) -> str:
    return f'{name}="{value}"' if " " in value else f"{name}={value}"


def write_env(values: dict[str, str]) -> None:
    path = PROJECT / ".env"
    if path.exists():
        print("Kept the existing .env: it was not overwritten.")
        return
    lines = ["# This App's configuration and secrets. Keep it private: never commit it."]
    lines += [env_line(name, value) for name, value in values.items()]
    # Created with mode 0600 from the start, so the secrets are never readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as env:
        env.write("\n".join(lines) + "\n")
    for number, line in enumerate(lines, start=1):
        name, _, value = line.partition("=")
        if name in ("AKENEO_CLIENT_ID", "AKENEO_CLIENT_SECRET") and not value:
            print(
                f"WARNING: {name} is empty: fill line {number} of .env ({name}=) with the value "
                "shown by your PIM when you create the test App."
            )


def write_env_example(values: dict[str, str]) -> None:
    lines = ["# Copy to .env and fill in. Every variable the App reads:"]
    for name, value in values.items():
        example = "" if name in NOT_IN_EXAMPLE else value
        lines += ["", f"# {VARIABLES[name]}", env_line(name, example)]
    (PROJECT / ".env.example").write_text("\n".join(lines) + "\n")


def print_next_steps() -> None:
    print(
        f"""
Your Akeneo App is ready in {PROJECT}

  cd {PROJECT.name}
  python -m venv .venv && . .venv/bin/activate
  pip install -e '.[dev]'
  pytest
  python -m {ANSWERS["package_name"]}

Then, in your PIM (Connect > App Store > Create a test App), paste:
  Activate URL: http://127.0.0.1:8000/activate
  Callback URL: http://127.0.0.1:8000/callback
(or the same paths on the public https URL of your tunnel or server)."""
    )


def main() -> None:
    keep_chosen_variants()
    values = settings()
    write_env(values)
    write_env_example(values)
    print_next_steps()


if __name__ == "__main__":
    sys.exit(main())
