"""Profile ``GET /activate`` inside a baked App's worker, without the server.

Run from a baked project's folder, with its ``.env``:
``PYTHONPATH=src python ../../benchmarks/profile_activate.py PIM_URL [REQUESTS]``.
Flask is driven through its WSGI callable, FastAPI through its ASGI callable, each with a fresh
browser (no cookie) per request, as wrk does; the top functions by own time are printed.
"""

import asyncio
import cProfile
import pstats
import sys
from typing import Any
from urllib.parse import urlencode

from akeneo_start_app import app as module


def wsgi_requests(application: Any, query: str, count: int) -> None:
    from werkzeug.test import Client

    client = Client(application, use_cookies=False)
    for _ in range(count):
        assert client.get(f"/activate?{query}").status_code == 302


def asgi_requests(application: Any, query: str, count: int) -> None:
    async def one() -> None:
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
            "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        status: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        await application(scope, receive, send)
        assert status == [302], status

    async def many() -> None:
        async with application.router.lifespan_context(application):
            for _ in range(count):
                await one()

    asyncio.run(many())


def main() -> None:
    pim_url = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    application = module.create_app()
    drive = asgi_requests if hasattr(application, "router") else wsgi_requests
    query = urlencode({"pim_url": pim_url})
    profile = cProfile.Profile()
    profile.runcall(drive, application, query, count)
    pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
