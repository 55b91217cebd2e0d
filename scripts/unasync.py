"""Write the Flask (sync) twins of the FastAPI (async) PIM client modules.

The async modules under `_variants/fastapi/` are the only source: this script rewrites each into
its sync counterpart under `_variants/flask/`, in the way httpcore generates its sync code
(unasync): token replacements (`async def` -> `def`, `await ` -> nothing, `AsyncClient` ->
`Client`, `asyncio.sleep` -> `time.sleep`...), then explicit per-file substitutions where the two
differ by more than a token, then `ruff format` with the generated project's line length.

    python scripts/unasync.py          # rewrite the sync files
    python scripts/unasync.py --check  # exit 1, naming them, if a sync file is out of date

Standard library and ruff only (ruff is one of the template's test dependencies).
"""

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent
PROJECT = TEMPLATE / "{{cookiecutter.project_slug}}"
ASYNC_DIR = PROJECT / "_variants/fastapi/src/{{cookiecutter.package_name}}/akeneo"
SYNC_DIR = PROJECT / "_variants/flask/src/{{cookiecutter.package_name}}/akeneo"
LINE_LENGTH = 100
"""The generated project's `[tool.ruff] line-length`."""

DEDENT = "<unasync: dedent>"
"""Stands for a line opening an async-only block: the line goes, its body moves out a level."""

# Whole-word replacements, applied to every module in this order.
TOKENS = [
    (r"\basync def ", "def "),
    (r"\basync with ", "with "),
    (r"\basync for ", "for "),
    (r"\bawait ", ""),
    (r"\basyncio\.sleep\b", "time.sleep"),
    (r"\basynccontextmanager\b", "contextmanager"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAbstractAsyncContextManager\b", "AbstractContextManager"),
    (r"\bAsyncClient\b", "Client"),
    (r"\bAsyncHTTPTransport\b", "HTTPTransport"),
    (r"\bAsyncBaseTransport\b", "BaseTransport"),
    (r"\bAsyncByteStream\b", "SyncByteStream"),
    (r"\bAsyncNetworkStream\b", "NetworkStream"),
    (r"\bAsyncNetworkBackend\b", "NetworkBackend"),
    (r"\bAsyncConnectionPool\b", "ConnectionPool"),
    (r"\bAnyIOBackend\b", "SyncBackend"),
    (r"\baclose\b", "close"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\banext\(", "next("),
    (r"Awaitable\[(\w+)\]", r"\1"),
]

# Exact substitutions per module, applied before the tokens: each must match exactly once, so
# that an edit of the async source that breaks one fails loudly instead of going unnoticed.
SUBSTITUTIONS: dict[str, list[tuple[str, str]]] = {
    "transport.py": [
        ("import asyncio\n", ""),
        ("import Awaitable, Callable, Generator", "import Callable, Generator"),
        (
            "    try:\n"
            "        async with asyncio.timeout(remaining):\n"
            "            with pim_errors(request), call_deadline(socket_deadline):\n",
            f"    {DEDENT}\n"
            f"        {DEDENT}\n"
            "            with pim_errors(request), call_deadline(socket_deadline):\n",
        ),
        (
            "    except TimeoutError:\n"
            '        raise PimTimeout(f"{request.url.host} did not answer in time") from None\n',
            "",
        ),
    ],
    "network.py": [
        ("import anyio.to_thread\n", ""),
        (
            "        # The system resolver blocks: it runs in a worker thread, off the event"
            " loop.\n"
            "        addresses = await anyio.to_thread.run_sync("
            "self._policy.addresses, host, port)\n",
            "        addresses = self._policy.addresses(host, port)\n",
        ),
    ],
    "fair_use.py": [
        (
            "The limit holds across the tasks of the event loop: each PIM has an"
            " `asyncio.Semaphore`.",
            "The limit holds across the threads of a threaded server: each PIM has a semaphore.",
        ),
        ("import asyncio\n", "import threading\n"),
        (
            "        # Only the event loop's thread touches this: no lock is needed to add a"
            " semaphore.\n"
            "        self._slots: dict[tuple[str, str, int | None], asyncio.Semaphore] = {}\n",
            "        self._slots: dict[tuple[str, str, int | None],"
            " threading.BoundedSemaphore] = {}\n"
            "        self._lock = threading.Lock()\n",
        ),
        (
            "        async with self._slots.setdefault(origin, asyncio.Semaphore(self.limit)):\n",
            "        with self._lock:\n"
            "            semaphore = self._slots.setdefault(\n"
            "                origin, threading.BoundedSemaphore(self.limit)\n"
            "            )\n"
            "        with semaphore:\n",
        ),
    ],
    "client.py": [
        ("import asyncio\n", "import time\n"),
        (
            "            for item in page.items:\n                yield item\n",
            "            yield from page.items\n",
        ),
        (
            "            # Storage is synchronous: keep it off the event loop.\n"
            "            await asyncio.to_thread(self._on_disconnected, self._connection)\n",
            "            self._on_disconnected(self._connection)\n",
        ),
    ],
}


class OutOfStep(Exception):
    """An async source no longer holds a text its substitutions expect."""


def unasync(name: str, source: str) -> str:
    """The sync module for the async module `name` whose text is `source`."""
    for old, new in SUBSTITUTIONS.get(name, []):
        count = source.count(old)
        if count != 1:
            raise OutOfStep(f"{name}: expected once, found {count} times:\n{old}")
        source = source.replace(old, new)
    for pattern, replacement in TOKENS:
        source = re.sub(pattern, replacement, source)
    return _dedent_placeholders(source)


def _dedent_placeholders(source: str) -> str:
    """Remove each `DEDENT` line (an async-only block's opening) and dedent the block's body."""
    lines = source.split("\n")
    while openings := [n for n, line in enumerate(lines) if line.strip() == DEDENT]:
        opening = openings[0]
        indent = _indent(lines[opening])
        body = opening + 1
        while body < len(lines) and (not lines[body].strip() or _indent(lines[body]) > indent):
            lines[body] = lines[body][4:]
            body += 1
        del lines[opening]
    return "\n".join(lines)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def ruff(source: str, name: str) -> str:
    """`source` with its imports sorted again and formatted as the generated project's ruff."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    options = ["--isolated", f"--line-length={LINE_LENGTH}", f"--stdin-filename={name}"]
    for command in (["check", "--select=I", "--fix", "--quiet", "--exit-zero"], ["format"]):
        source = subprocess.run(
            [ruff, *command, *options, "-"],
            input=source,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    return source


def expected_sync_files() -> dict[Path, str]:
    """Each sync file this script writes, with the text it must hold."""
    return {
        SYNC_DIR / name: ruff(unasync(name, (ASYNC_DIR / name).read_text()), name)
        for name in sorted(SUBSTITUTIONS)
    }


def _shown(path: Path) -> str:
    return str(path.relative_to(TEMPLATE)) if path.is_relative_to(TEMPLATE) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, write nothing")
    arguments = parser.parse_args(argv)
    try:
        expected = expected_sync_files()
    except OutOfStep as error:
        print(f"unasync: {error}", file=sys.stderr)
        return 1
    stale = [
        path for path, text in expected.items() if not path.exists() or path.read_text() != text
    ]
    if arguments.check:
        for path in stale:
            print(
                f"{_shown(path)} is out of date: run python scripts/unasync.py",
                file=sys.stderr,
            )
        return 1 if stale else 0
    for path in stale:
        path.write_text(expected[path])
        print(f"wrote {_shown(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
