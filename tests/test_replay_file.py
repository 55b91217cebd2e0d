"""Cookiecutter's replay file keeps every answer in plain text: the hooks remove the secret.

Cookiecutter writes the replay file before generating anything, so the pre-generation hook
removes the client secret even when it then refuses the answers; the post-generation hook
does it too. Both find the file as cookiecutter does, through COOKIECUTTER_CONFIG or the
home folder's defaults.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).parent.parent
TYPED_SECRET = "typed-client-secret-7f3a"


def replay_file(config: Path) -> Path:
    # The session's config (see conftest.py) names the replay folder; the file is named
    # after the template's folder.
    return config.parent / "replay" / f"{TEMPLATE.resolve().name}.json"


def bake(config: Path, output: Path, **answers: str) -> Any:
    return cookiecutter(
        str(TEMPLATE),
        no_input=True,
        output_dir=str(output),
        config_file=str(config),
        extra_context={"client_secret": TYPED_SECRET, **answers},
    )


def test_a_successful_bake_leaves_no_secret_in_the_replay_file(
    private_cookiecutter_config: Path, tmp_path: Path
) -> None:
    project = Path(bake(private_cookiecutter_config, tmp_path))

    replay = replay_file(private_cookiecutter_config)
    assert TYPED_SECRET not in replay.read_text()
    assert json.loads(replay.read_text())["cookiecutter"]["client_secret"] == ""
    assert f"AKENEO_CLIENT_SECRET={TYPED_SECRET}" in (project / ".env").read_text()


def test_a_refused_bake_leaves_no_secret_in_the_replay_file(
    private_cookiecutter_config: Path, tmp_path: Path
) -> None:
    with pytest.raises(FailedHookException):
        bake(private_cookiecutter_config, tmp_path, pim_url="ftp://pim.example.com")

    replay = replay_file(private_cookiecutter_config)
    assert json.loads(replay.read_text())["cookiecutter"]["pim_url"] == "ftp://pim.example.com"
    assert TYPED_SECRET not in replay.read_text()
    assert list(tmp_path.iterdir()) == []


def test_the_default_replay_folder_is_cleaned_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No configuration at all: cookiecutter and the hooks use ~/.cookiecutter_replay. The
    # command line, because cookiecutter reads the home folder when it is imported.
    monkeypatch.delenv("COOKIECUTTER_CONFIG")
    monkeypatch.setenv("HOME", str(tmp_path))

    baking = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", str(TEMPLATE)]
        + ["-o", str(tmp_path / "out"), f"client_secret={TYPED_SECRET}", "scopes=read_nothing"],
        capture_output=True,
        text=True,
    )

    assert baking.returncode != 0
    assert "ERROR: scopes: 'read_nothing' is not an authorization scope" in baking.stderr

    replay = tmp_path / ".cookiecutter_replay" / f"{TEMPLATE.resolve().name}.json"
    assert json.loads(replay.read_text())["cookiecutter"]["scopes"] == "read_nothing"
    assert TYPED_SECRET not in replay.read_text()


def load_hook(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, TEMPLATE / "hooks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("hook", ["pre_gen_project", "post_gen_project"])
def test_each_hook_blanks_the_secret_and_keeps_the_other_answers(
    hook: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"default_context: {{}}\nreplay_dir: '{tmp_path / 'replays'}'  # mine\n")
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(config))
    replay = tmp_path / "replays" / "my-template.json"
    replay.parent.mkdir()
    answers = {"client_id": "my-id", "client_secret": TYPED_SECRET, "scopes": "read_products"}
    replay.write_text(json.dumps({"cookiecutter": answers, "_cookiecutter": answers}))

    bake = {"_template": ".", "_repo_dir": ".", "_output_dir": str(tmp_path)}
    answers = {**answers, **bake}
    replay.write_text(json.dumps({"cookiecutter": answers, "_cookiecutter": answers}))
    other = tmp_path / "replays" / "other-template.json"
    other.write_text(json.dumps({"cookiecutter": {**answers, "_template": "../other"}}))

    assert load_hook(hook).remove_client_secret_from_replay(bake) is True

    saved = json.loads(replay.read_text())
    for section in ("cookiecutter", "_cookiecutter"):
        assert saved[section] == {**answers, "client_secret": ""}
    assert TYPED_SECRET in other.read_text()


def test_a_hook_finding_no_replay_file_of_its_bake_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"replay_dir: {tmp_path / 'replays'}\n")
    monkeypatch.setenv("COOKIECUTTER_CONFIG", str(config))
    bake = {"_template": ".", "_repo_dir": ".", "_output_dir": str(tmp_path)}

    assert load_hook("post_gen_project").remove_client_secret_from_replay(bake) is False


# --- Every form of template path: cookiecutter names the replay file after the folder it reads --


@pytest.fixture(scope="module")
def template_repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of this template in a git repository of its own, named `akeneo-template`."""
    copy = tmp_path_factory.mktemp("forms") / "akeneo-template"
    shutil.copytree(
        TEMPLATE,
        copy,
        ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*_cache", "akeneo-*-app"),
    )
    identity = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com"}
    identity |= {"GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com"}
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "T"]):
        subprocess.run(["git", *command], cwd=copy, check=True, env={**os.environ, **identity})
    # What a git host serves: a bare repository whose URL ends in .git.
    subprocess.run(["git", "clone", "-q", "--bare", copy, f"{copy}.git"], check=True)
    return copy


def as_dot(repository: Path, work: Path) -> tuple[str, Path]:
    return ".", repository


def as_relative_path(repository: Path, work: Path) -> tuple[str, Path]:
    return os.path.relpath(repository, work), work


def as_absolute_path(repository: Path, work: Path) -> tuple[str, Path]:
    return str(repository), work


def as_git_url(repository: Path, work: Path) -> tuple[str, Path]:
    return f"{repository.as_uri()}.git", work


def as_gh_abbreviation(repository: Path, work: Path) -> tuple[str, Path]:
    # `gh:` points at the local repository here (the test's config below): same expansion,
    # same clone, no network.
    return "gh:akeneo-template", work


def as_zip(repository: Path, work: Path) -> tuple[str, Path]:
    archive = shutil.make_archive(
        str(work / "akeneo-template"), "zip", repository.parent, repository.name
    )
    return archive, work


@pytest.mark.parametrize(
    "form", [as_dot, as_relative_path, as_absolute_path, as_git_url, as_gh_abbreviation, as_zip]
)
def test_the_typed_secret_leaves_the_replay_file_whatever_form_the_template_path_takes(
    form: Callable[[Path, Path], tuple[str, Path]], template_repository: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    template, cwd = form(template_repository, work)
    replays = tmp_path / "replays"
    config = tmp_path / "config.yaml"
    config.write_text(
        f"replay_dir: {replays}\ncookiecutters_dir: {tmp_path / 'cookiecutters'}\n"
        f"abbreviations:\n  gh: {template_repository.parent.as_uri()}/{{0}}.git\n"
    )

    baking = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", template, "--config-file"]
        + [str(config), "-o", str(tmp_path / "out"), f"client_secret={TYPED_SECRET}"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COOKIECUTTER_CONFIG": str(config)},
    )

    assert baking.returncode == 0, baking.stderr
    [replay] = replays.iterdir()
    assert replay.name == "akeneo-template.json"
    assert json.loads(replay.read_text())["cookiecutter"]["client_secret"] == ""
    assert "it was removed from cookiecutter's replay file" in baking.stdout
    project = tmp_path / "out" / "akeneo-start-app"
    assert f"AKENEO_CLIENT_SECRET={TYPED_SECRET}" in (project / ".env").read_text()
