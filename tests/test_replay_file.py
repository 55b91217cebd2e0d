"""Cookiecutter's replay file keeps every answer in plain text: the hooks remove the secret.

Cookiecutter writes the replay file before generating anything, so the pre-generation hook
removes the client secret even when it then refuses the answers; the post-generation hook
does it too. Both find the file as cookiecutter does, through COOKIECUTTER_CONFIG or the
home folder's defaults.
"""

import importlib.util
import json
import subprocess
import sys
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

    load_hook(hook).remove_client_secret_from_replay(str(tmp_path / "my-template"))

    saved = json.loads(replay.read_text())
    for section in ("cookiecutter", "_cookiecutter"):
        assert saved[section] == {**answers, "client_secret": ""}
