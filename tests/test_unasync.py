"""The Flask variant's PIM client modules are generated from the FastAPI ones by
scripts/unasync.py: the committed files must be what the script writes today."""

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

TEMPLATE = Path(__file__).parent.parent
SCRIPT = TEMPLATE / "scripts" / "unasync.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_sync_modules_are_those_the_script_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr


def test_every_sync_module_has_an_async_source_and_no_template_logic() -> None:
    unasync = load_script()

    for path, text in unasync.expected_sync_files().items():
        source = unasync.ASYNC_DIR / path.name
        assert source.is_file()
        for module in (source.read_text(), text):
            assert "cookiecutter" not in module and "{%" not in module
        assert "async " not in text and "await " not in text and "asyncio" not in text


def test_a_hand_edited_sync_module_is_reported_as_out_of_date(tmp_path: Path) -> None:
    unasync = load_script()
    unasync.SYNC_DIR = tmp_path
    for path, text in unasync.expected_sync_files().items():
        (tmp_path / path.name).write_text(text)
    (tmp_path / "transport.py").write_text((tmp_path / "transport.py").read_text() + "# edited\n")

    assert unasync.main(["--check"]) == 1


def test_a_substitution_that_no_longer_matches_its_async_source_fails_loudly() -> None:
    unasync = load_script()

    with pytest.raises(unasync.OutOfStep, match="expected once, found 0 times"):
        unasync.unasync("client.py", "import httpx\n")


def test_tokens_turn_async_code_into_sync_code() -> None:
    unasync = load_script()
    source = (
        "async def send(client: httpx.AsyncClient) -> None:\n"
        "    async with lock:\n"
        "        await asyncio.sleep(1)\n"
        "    async for chunk in stream:\n"
        "        await streamed.aclose()\n"
    )

    assert unasync.unasync("other.py", source) == (
        "def send(client: httpx.Client) -> None:\n"
        "    with lock:\n"
        "        time.sleep(1)\n"
        "    for chunk in stream:\n"
        "        streamed.close()\n"
    )
