"""Validate the cookiecutter answers before any file is generated.

Each answer is checked by one small function that returns a message, or None when the
answer is fine. Every problem is reported, one line per answer, and the hook exits with
status 1 so that cookiecutter stops and removes the half-created project folder.

The answers reach this script as JSON text inside a raw, triple-single-quoted string
literal (see ``main``). Jinja's ``tojson`` escapes ``'`` as ``\\u0027``, so no answer
can close the literal, and the JSON is parsed as data: quotes, backslashes, newlines or
Jinja syntax in an answer can neither break this script nor run as code. Only ``main``
holds Jinja, so the check functions can be imported from the unrendered file.

The script must stay parseable by old Pythons (3.7 and later, as cookiecutter supports): on
those, ``main`` says in one line that the generated project needs a newer Python.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import keyword
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

# The generated project's requires-python.
MINIMUM_PYTHON = (3, 11)
EXAMPLE_PIM_URL = "https://my-sandbox.cloud.akeneo.com"

# Names a generated app imports, or that developers commonly install or use as folders:
# a package with one of these names would be imported in their place.
COMMON_MODULE_NAMES = frozenset(
    {
        "akeneo",
        "app",
        "cryptography",
        "fastapi",
        "flask",
        "httpx",
        "hypothesis",
        "jinja2",
        "jwt",
        "pydantic",
        "pytest",
        "requests",
        "sqlalchemy",
        "src",
        "starlette",
        "test",
        "tests",
        "uvicorn",
        "werkzeug",
    }
)

FRAMEWORKS = ("fastapi", "flask")

# Authorization scopes the PIM knows (Community and Enterprise Edition). The PIM
# silently drops unknown scopes, so a typo would only show up later as an API 403.
AUTHORIZATION_SCOPES = frozenset(
    {
        "read_products",
        "write_products",
        "delete_products",
        "read_catalog_structure",
        "write_catalog_structure",
        "read_attribute_options",
        "write_attribute_options",
        "read_categories",
        "write_categories",
        "read_channel_localization",
        "read_channel_settings",
        "write_channel_settings",
        "read_association_types",
        "write_association_types",
        "read_catalogs",
        "write_catalogs",
        "delete_catalogs",
        # Enterprise Edition only
        "read_asset_families",
        "write_asset_families",
        "read_assets",
        "write_assets",
        "delete_assets",
        "read_reference_entities",
        "write_reference_entities",
        "read_reference_entity_records",
        "write_reference_entity_records",
        "read_workflows",
        "read_workflow_step_assignees",
        "read_workflow_tasks",
        "write_workflow_tasks",
        "create_suggestions",
        "read_suggestions",
        "manage_suggestions",
    }
)
# The app adds these itself when OpenID Connect is enabled.
AUTHENTICATION_SCOPES = frozenset({"openid", "profile", "email"})
# The PIM refuses an authorization request whose scope parameter is longer than this.
MAX_SCOPES_LENGTH = 1000

# These characters would need quoting or escaping in the generated .env file, and .env
# parsers disagree about them (comments, variable expansion): refuse rather than guess.
ENV_VALUE_FORBIDDEN = frozenset("'\"`#$\\")
ENV_VALUE_RULE = (
    "whitespace, quotes (' \" `), #, $, backslash and control characters are not "
    "allowed because the value is written to the .env file"
)

KEBAB_CASE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
CHARACTER_NAMES = {
    " ": "space",
    "\t": "tab",
    "\n": "newline",
    "\r": "carriage return",
    "\\": "backslash",
}


def check_python_version(version: tuple[int, ...]) -> str | None:
    if tuple(version[:2]) >= MINIMUM_PYTHON:
        return None
    running = ".".join(str(part) for part in version[:3])
    needed = ".".join(str(part) for part in MINIMUM_PYTHON)
    return (
        f"Python {running} is too old: the generated project needs Python {needed} or newer; "
        f"run cookiecutter with Python {needed}+ (e.g. python{needed} -m venv .venv && "
        ".venv/bin/pip install cookiecutter && .venv/bin/cookiecutter ...)"
    )


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


def describe_character(char: str) -> str:
    """Name a character so that invisible ones are readable in an error message."""
    if char in CHARACTER_NAMES:
        return CHARACTER_NAMES[char]
    if char.isspace() or not char.isprintable():
        return f"U+{ord(char):04X}"
    return repr(char)


def has_invisible_character(value: str) -> bool:
    return any(char.isspace() or not char.isprintable() for char in value)


def check_project_name(value: str) -> str | None:
    # The name is a title in generated files: a line break or control character there is
    # never intended and would break them. Quotes and other punctuation are fine.
    if not value.strip():
        return "must not be empty"
    if any(not char.isprintable() for char in value):
        return f"{value!r} must be a single line without control characters"
    return None


def check_project_slug(value: str) -> str | None:
    if not KEBAB_CASE.fullmatch(value):
        return (
            f"{value!r} must be kebab-case: lowercase ASCII letters and digits in "
            "words joined by single hyphens, starting with a letter "
            "(e.g. 'akeneo-start-app')"
        )
    return None


def check_package_name(value: str) -> str | None:
    if not (value.isascii() and value.isidentifier()):
        return (
            f"{value!r} must be a valid Python identifier: ASCII letters, digits and "
            "underscores, not starting with a digit (e.g. 'akeneo_start_app')"
        )
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return f"{value!r} is a Python keyword; choose another package name"
    if value in sys.stdlib_module_names or value in COMMON_MODULE_NAMES:
        return (
            f"{value!r} would shadow the module of the same name (standard library or "
            "a common dependency); choose a more specific package name"
        )
    return None


def check_framework(value: str) -> str | None:
    if value not in FRAMEWORKS:
        return f"{value!r} is not supported; choose one of: {', '.join(FRAMEWORKS)}"
    return None


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    labels = host.removesuffix(".").split(".")
    # Browsers read a name ending in a number as an IPv4 address: it must be valid.
    if labels[-1].isdigit():
        return False
    return len(host) <= 253 and all(HOST_LABEL.fullmatch(label) for label in labels)


def has_valid_port(url: SplitResult) -> bool:
    # urlsplit reports an empty port ("host:") as no port at all, and accepts port 0.
    if url.netloc.endswith(":"):
        return False
    try:
        return url.port != 0
    except ValueError:
        return False


def check_pim_url(value: str) -> str | None:
    example = f"give the PIM's base URL, e.g. {EXAMPLE_PIM_URL!r}"
    if not value:
        return f"must not be empty; {example}"
    # Checked before parsing because urlsplit silently drops tabs and newlines.
    if has_invisible_character(value):
        return f"{value!r} must not contain whitespace or control characters"
    try:
        url = urlsplit(value)
    except ValueError as error:
        return f"{value!r} is not a valid URL ({error}); {example}"
    if url.scheme not in ("http", "https") or not url.netloc:
        return f"{value!r} must be an absolute URL starting with https://; {example}"
    if "@" in url.netloc:
        return f"{value!r} must not contain credentials (user:password@); {example}"
    if not url.hostname:
        return f"{value!r} must include a host name; {example}"
    if not is_valid_host(url.hostname):
        return f"{value!r} has an invalid host name {url.hostname!r}; {example}"
    if not has_valid_port(url):
        return f"{value!r} has an invalid port: it must be a number from 1 to 65535"
    if url.path not in ("", "/"):
        return f"{value!r} must not have a path; {example}"
    # urlsplit reports an empty query or fragment as none: look for the separators.
    if "?" in value.partition("#")[0]:
        return f"{value!r} must not have a query string ('?...'); {example}"
    if "#" in value:
        return f"{value!r} must not have a fragment ('#...'); {example}"
    if url.scheme == "http" and not is_loopback_host(url.hostname):
        return (
            f"{value!r} must use https://; http:// is only allowed for a loopback host "
            "(localhost, 127.0.0.0/8 or [::1]) during development"
        )
    return None


def forbidden_env_characters(value: str) -> list[str]:
    """Describe each distinct character that cannot be written safely to a .env file."""
    found = dict.fromkeys(
        char
        for char in value
        if char in ENV_VALUE_FORBIDDEN or char.isspace() or not char.isprintable()
    )
    return [describe_character(char) for char in found]


def check_client_id(value: str) -> str | None:
    found = forbidden_env_characters(value)
    if found:
        return f"{value!r} contains {', '.join(found)}; {ENV_VALUE_RULE}"
    return None


def check_client_secret(value: str) -> str | None:
    # Never echo the secret: terminals and CI logs keep it. Naming the bad characters is
    # enough to fix it.
    found = forbidden_env_characters(value)
    if found:
        return f"the value (not shown) contains {', '.join(found)}; {ENV_VALUE_RULE}"
    return None


def check_scopes(value: str) -> str | None:
    if len(value) > MAX_SCOPES_LENGTH:
        return (
            f"is {len(value)} characters long; the PIM refuses a scope list longer "
            f"than {MAX_SCOPES_LENGTH} characters"
        )
    bad_separators = [
        describe_character(char) for char in value if char != " " and has_invisible_character(char)
    ]
    if bad_separators:
        return (
            f"{value!r} contains {', '.join(dict.fromkeys(bad_separators))}; "
            "separate scopes with spaces only"
        )
    scopes = value.split()
    if not scopes:
        return (
            "must list at least one authorization scope, space-separated "
            "(e.g. 'read_channel_settings'); the app can do nothing useful without one"
        )
    seen: set[str] = set()
    for scope in scopes:
        if scope in AUTHENTICATION_SCOPES:
            return (
                f"{scope!r} is an OpenID Connect scope: remove it from the scopes and "
                "answer yes to openid_connect instead"
            )
        if scope not in AUTHORIZATION_SCOPES:
            close = difflib.get_close_matches(scope, AUTHORIZATION_SCOPES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            return (
                f"{scope!r} is not an authorization scope known to the PIM{hint}; "
                f"known scopes: {' '.join(sorted(AUTHORIZATION_SCOPES))}"
            )
        if scope in seen:
            return f"{scope!r} is listed more than once; list each scope once"
        seen.add(scope)
    return None


def check_openid_connect(value: object) -> str | None:
    # Cookiecutter turns yes/no answers into booleans itself: anything else means the
    # context was built some other way (a hand-edited replay file, an API call).
    if not isinstance(value, bool):
        return f"{value!r} must be a yes/no answer (a boolean)"
    return None


# Text answers in prompt order, so the messages follow the order of the questions.
TEXT_CHECKS: dict[str, Callable[[str], str | None]] = {
    "project_name": check_project_name,
    "project_slug": check_project_slug,
    "package_name": check_package_name,
    "framework": check_framework,
    "pim_url": check_pim_url,
    "client_id": check_client_id,
    "client_secret": check_client_secret,
    "scopes": check_scopes,
}


# The post-gen hook prefers these environment variables to the answers: check them alike.
ENVIRONMENT_CHECKS: dict[str, Callable[[str], str | None]] = {
    "AKENEO_CLIENT_ID": check_client_id,
    "AKENEO_CLIENT_SECRET": check_client_secret,
}


def derivations(answers: Mapping[str, object], defaults: Mapping[str, str]) -> dict[str, str]:
    """Say where each derived answer came from, and how to change it.

    `defaults` holds what cookiecutter.json derives from the other answers: an answer equal to
    its default was not typed (or was typed exactly as derived), so a problem with it is fixed
    by changing the answer it came from, or by answering it explicitly.
    """
    notes = {}
    name = answers.get("project_name")
    slug = answers.get("project_slug")
    slug_derived = slug == defaults.get("project_slug")
    if slug_derived:
        notes["project_slug"] = (
            f"project_slug was derived from project_name {name!r}: give another project_name, "
            "or answer project_slug explicitly"
        )
    if answers.get("package_name") == defaults.get("package_name"):
        origin = (
            f"project_name {name!r} via project_slug {slug!r}"
            if slug_derived
            else f"project_slug {slug!r}"
        )
        typed = "project_name" if slug_derived else "project_slug"
        notes["package_name"] = (
            f"package_name was derived from {origin}: give another {typed}, "
            "or answer package_name explicitly"
        )
    return notes


def validate(
    answers: Mapping[str, object],
    environ: Mapping[str, str],
    defaults: Mapping[str, str] | None = None,
) -> list[str]:
    """Return one 'answer_name: problem' line per invalid answer or environment variable."""
    errors = []
    notes = derivations(answers, defaults or {})
    for name, check in TEXT_CHECKS.items():
        value = answers.get(name)
        problem = check(value) if isinstance(value, str) else "must be text"
        if problem and name in notes:
            problem = f"{problem}; {notes[name]}"
        if problem:
            errors.append(f"{name}: {problem}")
    problem = check_openid_connect(answers.get("openid_connect"))
    if problem:
        errors.append(f"openid_connect: {problem}")
    for name, check in ENVIRONMENT_CHECKS.items():
        problem = check(environ.get(name, ""))
        if problem:
            errors.append(f"{name} (environment variable): {problem}")
    return errors


def main() -> int:
    # Raw and triple-single-quoted on purpose (see the module docstring): keep it so.
    answers = json.loads(r'''{{ cookiecutter | tojson }}''')  # fmt: skip
    # What cookiecutter.json derives from the answers, to tell a derived answer from a typed one.
    defaults = {
        "project_slug": json.loads(r'''{{ cookiecutter.project_name | slugify | tojson }}'''),
        "package_name": json.loads(r'''{{ cookiecutter.project_slug|replace("-", "_")|tojson }}'''),
    }  # fmt: skip
    remove_client_secret_from_replay(answers)
    too_old = check_python_version(tuple(sys.version_info))
    if too_old:
        # The other checks use newer Pythons' features: stop at the one line that matters.
        print(f"ERROR: {too_old}", file=sys.stderr)
        return 1
    errors = validate(answers, os.environ, defaults)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
