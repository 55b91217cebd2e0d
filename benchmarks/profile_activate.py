"""Profile ``GET /activate`` inside a baked App's worker, without the server.

Run from a baked project's folder, with its ``.env``:
``PYTHONPATH=src:../../benchmarks python ../../benchmarks/profile_activate.py PIM_URL [REQUESTS]``.
Flask is driven through its WSGI callable, FastAPI through its ASGI callable, each with a fresh
browser (no cookie) per request, as wrk does; the top functions by own time are printed.
With ``--cpu``, nothing is profiled: the App and the bare app of the same framework
(``bare_flask.py``, ``bare_fastapi.py``, answering the App's redirect) each serve REQUESTS,
five times in turn, and the least processor time per request of each is printed. Processor time
of the process (all its threads) moves far less than wall time on a machine shared with other
jobs, and it counts the thread pool's hand-offs, which a profile of the event loop's thread
does not show.
"""

import asyncio
import cProfile
import importlib
import io
import os
import pstats
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from akeneo_start_app import app as module

ROUNDS = 5


def wsgi_driver(application: Any, query: str) -> Callable[[int], None]:
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/activate",
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], *args: Any) -> None:
        statuses.append(status)

    def drive(count: int) -> None:
        for _ in range(count):
            answer = application({**environ, "wsgi.input": io.BytesIO()}, start_response)
            b"".join(answer)
            getattr(answer, "close", lambda: None)()
        assert statuses[-1].startswith("302"), statuses[-1]

    return drive


def asgi_driver(application: Any, query: str) -> Callable[[int], None]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/activate",
        "raw_path": b"/activate",
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def many(count: int) -> None:
        async with application.router.lifespan_context(application):
            for _ in range(count):
                await application(dict(scope), receive, send)
        assert statuses[-1] == 302, statuses[-1]

    return lambda count: asyncio.run(many(count))


def driver(application: Any, query: str) -> Callable[[int], None]:
    make = asgi_driver if hasattr(application, "router") else wsgi_driver
    return make(application, query)


def cpu_per_request(drive: Callable[[int], None], count: int) -> float:
    """The least processor time per request, in microseconds, over ROUNDS runs."""
    drive(min(count, 200))  # imports, caches, the thread pool
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.process_time()
        drive(count)
        best = min(best, (time.process_time() - start) / count)
    return best * 1e6


def compare_with_bare(application: Any, pim_url: str, count: int) -> None:
    framework = "fastapi" if hasattr(application, "router") else "flask"
    # As long as the App's redirect: the client id, scopes and a 43-character state.
    os.environ["BARE_LOCATION"] = (
        f"{pim_url}/connect/apps/v1/authorize?response_type=code&client_id=bench-client"
        f"&scope=read_channel_settings+read_channel_localization&state={'s' * 43}"
    )
    bare = importlib.import_module(f"bare_{framework}").app
    query = urlencode({"pim_url": pim_url})
    app_cpu = cpu_per_request(driver(application, query), count)
    bare_cpu = cpu_per_request(driver(bare, query), count)
    print(
        f"{framework} GET /activate, processor time per request (least of {ROUNDS} x {count}):"
        f" App {app_cpu:.0f} µs, bare app {bare_cpu:.0f} µs, App adds {app_cpu - bare_cpu:.0f} µs"
    )


def main() -> None:
    arguments = [argument for argument in sys.argv[1:] if argument != "--cpu"]
    pim_url = arguments[0]
    count = int(arguments[1]) if len(arguments) > 1 else 2000
    application = module.create_app()
    query = urlencode({"pim_url": pim_url})
    if "--cpu" in sys.argv:
        compare_with_bare(application, pim_url, count)
        return
    profile = cProfile.Profile()
    profile.runcall(driver(application, query), count)
    pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
