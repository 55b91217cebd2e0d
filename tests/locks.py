"""The uv.lock each variant ships, kept current: `python -m tests.locks` after a dependency
change in the generated pyproject.toml, `python -m tests.locks --upgrade` for the newest releases.

Each variant is baked with the default answers, its shipped lock is put beside it, `uv lock`
brings it up to date (changing only what the pyproject.toml requires, unless --upgrade), and the
result goes back into the template with the project's name templated. tests/test_lock.py checks
that every bake's lock matches its pyproject.toml.
"""

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

from tests.conftest import VARIANTS

TEMPLATE = Path(__file__).resolve().parent.parent
VARIANTS_DIR = TEMPLATE / "{{cookiecutter.project_slug}}" / "_variants"
DEFAULT_SLUG = "akeneo-start-app"
TEMPLATED_NAME = 'name = "{{ cookiecutter.project_slug }}"'
# uv on PATH, else the one beside this Python (the template's .venv).
UV = (
    "uv"
    if subprocess.run(["which", "uv"], capture_output=True).returncode == 0
    else str(Path(sys.executable).parent / "uv")
)


def shipped_lock(variant: str) -> Path:
    """Where the template keeps a variant's lock (the post-generation hook moves it into place)."""
    return VARIANTS_DIR / f"lock-{variant}" / "uv.lock"


def refresh(variant: str, upgrade: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(
            cookiecutter(
                str(TEMPLATE), no_input=True, output_dir=folder, extra_context=VARIANTS[variant]
            )
        )
        subprocess.run(
            [UV, "lock", "--quiet", *(["--upgrade"] if upgrade else [])], cwd=project, check=True
        )
        lock = (project / "uv.lock").read_text()
    root = f'name = "{DEFAULT_SLUG}"'
    assert lock.count(root) == 1, f"{variant}: the lock names the project {lock.count(root)} times"
    shipped_lock(variant).parent.mkdir(parents=True, exist_ok=True)
    shipped_lock(variant).write_text(lock.replace(root, TEMPLATED_NAME))
    print(f"{shipped_lock(variant).relative_to(TEMPLATE)}: refreshed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="lock the newest releases")
    arguments = parser.parse_args()
    for variant in VARIANTS:
        refresh(variant, arguments.upgrade)


if __name__ == "__main__":
    main()
