"""Finish the generated project: keep the chosen variant's files, write .env and .env.example.

Standard library only. Answers are read as data (JSON), never pasted into code; only ``main``
holds Jinja, so the functions can be imported from the unrendered file.
"""

import base64
import json
import os
import secrets
import shutil
import sys
from pathlib import Path
from typing import Any

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
    "APP_URL": "The App's public URL (https://...), required in production; empty: the request's.",
    "HTTP_TIMEOUT": "Seconds to wait for a PIM before giving up.",
    "TRUSTED_PROXIES": "Proxy addresses or networks whose X-Forwarded-Proto/-For are believed.",
    "PIM_API_MAX_BYTES": "Largest PIM API answer read, in bytes once decompressed.",
    "SESSION_LIFETIME_HOURS": "Hours a browser stays linked to its PIM after connecting (1-720).",
    "LOG_FORMAT": "text (time, level, logger, message) or json (one JSON object per line).",
}
# Left empty in the tracked .env.example: secrets, and what is this installation's own.
NOT_IN_EXAMPLE = ("AKENEO_CLIENT_ID", "AKENEO_CLIENT_SECRET", "SECRET_KEY", "TOKEN_ENCRYPTION_KEYS")


# What identifies this bake's replay file (see remove_client_secret_from_replay).
REPLAY_KEYS = ("_template", "_repo_dir", "_output_dir")


def configured_replay_dir() -> Path:
    """Cookiecutter's replay folder: `replay_dir` of its user config, else the default."""
    config = os.environ.get("COOKIECUTTER_CONFIG") or os.path.expanduser("~/.cookiecutterrc")
    try:
        lines = Path(config).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    for line in lines:
        name, separator, value = line.partition(":")
        # A top-level `replay_dir: path` line of the YAML config (no YAML parser in the stdlib).
        value = value.partition(" #")[0].strip().strip("'\"")
        if separator and name.strip() == "replay_dir" and not line[0].isspace() and value:
            return Path(os.path.expanduser(os.path.expandvars(value)))
    return Path(os.path.expanduser("~/.cookiecutter_replay"))


def remove_client_secret_from_replay(answers: dict[str, Any]) -> bool:
    """Blank the client secret in the replay file cookiecutter wrote for this bake.

    Cookiecutter names the file after the template folder's base name, which a hook cannot
    always rebuild: `_repo_dir` may be relative to a folder the hook does not run in (`.`,
    `../template`), or a clone or unzipped copy (a git URL, a `gh:` abbreviation, a zip). So the
    file is found by content: the one whose recorded template, template folder and output
    folder are this bake's. True when such a file exists and holds no secret any more.
    """
    bake = [answers.get(key) for key in REPLAY_KEYS]
    found = False
    for path in sorted(configured_replay_dir().glob("*.json")):
        try:
            replay = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        recorded = replay.get("cookiecutter") if isinstance(replay, dict) else None
        if not isinstance(recorded, dict) or [recorded.get(key) for key in REPLAY_KEYS] != bake:
            continue
        found = True
        sections = [replay.get(name) for name in ("cookiecutter", "_cookiecutter")]
        holding = [section for section in sections if isinstance(section, dict)]
        if any(section.get("client_secret") for section in holding):
            for section in holding:
                section["client_secret"] = ""
            path.write_text(json.dumps(replay, indent=2), encoding="utf-8")
    return found


def keep_chosen_variants(answers: dict[str, Any]) -> None:
    """Move the chosen framework's (and OpenID's) files into place; drop the others."""
    openid = ["openid"] if answers["openid_connect"] else []
    # The lock pins the dependencies of one framework x OpenID combination.
    lock = "-".join(["lock", answers["framework"], *openid])
    chosen = [answers["framework"], *openid, lock]
    for name in chosen:
        variant = VARIANTS / name
        for source in sorted(variant.rglob("*")):
            if source.is_file():
                target = PROJECT / source.relative_to(variant)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(source, target)
    shutil.rmtree(VARIANTS)


def settings(answers: dict[str, Any]) -> dict[str, str]:
    values = {
        "AKENEO_CLIENT_ID": os.environ.get("AKENEO_CLIENT_ID") or answers["client_id"],
        "AKENEO_CLIENT_SECRET": os.environ.get("AKENEO_CLIENT_SECRET") or answers["client_secret"],
        "AKENEO_ALLOWED_PIM_URLS": answers["pim_url"].rstrip("/"),
        "AKENEO_SCOPES": answers["scopes"],
        "AKENEO_OPENID_CONNECT": "true",
        "SECRET_KEY": secrets.token_urlsafe(48),
        # Fernet's key format: 32 random bytes, url-safe base64.
        "TOKEN_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DATABASE_URL": "sqlite:///app.db",
        "APP_ENV": "development",
        "APP_URL": "",
        "HTTP_TIMEOUT": "10",
        "TRUSTED_PROXIES": "",
        "PIM_API_MAX_BYTES": "10000000",
        "SESSION_LIFETIME_HOURS": "12",
        "LOG_FORMAT": "text",
    }
    if not answers["openid_connect"]:
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
                "shown by your PIM when you create the custom App."
            )


def write_env_example(values: dict[str, str]) -> None:
    lines = ["# Copy to .env and fill in. Every variable the App reads:"]
    for name, value in values.items():
        example = "" if name in NOT_IN_EXAMPLE else value
        lines += ["", f"# {VARIABLES[name]}", env_line(name, example)]
    (PROJECT / ".env.example").write_text("\n".join(lines) + "\n")


def print_next_steps(answers: dict[str, Any], replay_cleaned: bool) -> None:
    print(
        f"""
Your Akeneo App is ready in {PROJECT}

  cd {PROJECT.name}
  python3 -m venv --upgrade-deps .venv       # or, with uv: uv sync --locked
  .venv/bin/pip install -e . --group dev     # about a minute
  .venv/bin/pytest                           # the offline test suite, about a minute
  .venv/bin/python -m {answers["package_name"]}   # serves http://127.0.0.1:8000
  .venv/bin/python -m tests.pim_simulator   # or: try it without a PIM (a simulated one, port 8081)

Then, in your PIM (Connect > App Store > Create a custom App; "Create a test App" in older
PIM versions), paste:
  Activate URL: http://127.0.0.1:8000/activate
  Callback URL: http://127.0.0.1:8000/callback
These work when your browser runs on this machine: the PIM only redirects your browser to the
App. From another machine, use the App's public https URL (a tunnel or a server) instead."""
    )
    if answers["client_secret"]:
        where = (
            "it is now only in .env\n(it was removed from cookiecutter's replay file)"
            if replay_cleaned
            else f"check cookiecutter's replay\nfiles in {configured_replay_dir()}: "
            "this bake's was not found there"
        )
        print(
            f"\nNOTE: the client secret you typed was echoed on screen; {where}. A .cruft.json,\n"
            "if you generate with cruft, would hold it in plain text: next time leave\n"
            "client_secret empty and export AKENEO_CLIENT_SECRET before generating."
        )


def main() -> None:
    answers = json.loads(r'''{{ cookiecutter | tojson }}''')  # fmt: skip
    replay_cleaned = remove_client_secret_from_replay(answers)
    keep_chosen_variants(answers)
    values = settings(answers)
    write_env(values)
    write_env_example(values)
    print_next_steps(answers, replay_cleaned)


if __name__ == "__main__":
    sys.exit(main())
