"""Measure the generated App's PIM API client: list throughput, memory, fair use across workers.

Run from the template's root: ``python benchmarks/api_client.py`` (needs cookiecutter, uvicorn,
fastapi, flask and httpx in the running interpreter). It bakes both frameworks, serves a fake PIM
over HTTP on loopback that answers each products page after a fixed latency with 100 products
and counts the calls in flight, then measures, for each framework:

- products per second read through ``iter_items``: one cursor, and one ``search_after`` cursor
  per family with 4 families at once, against the ceiling fair use allows
  (4 pages in flight x 100 products / latency);
- the peak RSS of a process reading 10,000 and 100,000 products (against the same process
  before it read anything);
- the most calls in flight the PIM saw from 2 and 3 worker processes (``WEB_CONCURRENCY``),
  each making 96 calls, as many at once as it may: with the App's per-process share of the
  limit, and with the whole limit in every process.

It prints a Markdown table; BENCHMARKS.md records a run.
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LATENCY = 0.05
PER_PAGE = 100
FAMILIES = 4


class FakePim:
    """An ASGI PIM: products pages after `LATENCY`, counting the calls in flight."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most_in_flight = 0
        self.calls = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        with self._lock:
            self.in_flight += 1
            self.calls += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(LATENCY)
            body = self._page(scope)
        finally:
            with self._lock:
                self.in_flight -= 1
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _page(self, scope: dict[str, Any]) -> bytes:
        query = dict(
            part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part
        )
        after, total = int(query.get("search_after", "0")), int(query.get("total", "0"))
        family = query.get("family", "all")
        host = dict(scope["headers"])[b"host"].decode()
        items = [
            {"uuid": f"{family}-{n}", "family": family, "enabled": True, "values": {}}
            for n in range(after, min(after + PER_PAGE, total))
        ]
        links: dict[str, Any] = {}
        if after + PER_PAGE < total:
            links["next"] = {
                "href": f"http://{host}/api/rest/v1/products-uuid?family={family}&total={total}"
                f"&search_after={after + PER_PAGE}"
            }
        return json.dumps({"_links": links, "_embedded": {"items": items}}).encode()


def serve(pim: FakePim) -> str:
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(pim, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}"


def bake(framework: str, into: Path) -> Path:
    subprocess.run(
        [BIN / "cookiecutter", "--no-input", "-o", into, TEMPLATE, f"framework={framework}"],
        check=True,
        capture_output=True,
    )
    return into / "akeneo-start-app"


# The client side, run in a process of its own inside the baked project (so that its RSS is
# the client's alone). It prints one JSON line.
CLIENT = {
    "fastapi": """
import asyncio, json, resource, sys, time
import httpx
from akeneo_start_app.akeneo.client import PimApi
from akeneo_start_app.akeneo.exchange import Connection
from akeneo_start_app.akeneo.fair_use import FairUse

pim_url, mode, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
PATH = "/api/rest/v1/products-uuid"
CALLS = 96

async def main():
    async with httpx.AsyncClient(timeout=30) as http:
        api = PimApi(
            Connection(pim_url, "token", ()),
            http=http,
            fair_use=FairUse.shared_by_workers(),
            on_disconnected=lambda c: None,
        )
        async def read(family, count):
            n = 0
            async for _ in api.iter_items(PATH, {"family": family, "total": count}):
                n += 1
            return n
        async def call():
            await api.get(PATH, {"total": 0})
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        if mode == "calls":
            await asyncio.gather(*(call() for _ in range(CALLS)))
            read_count = 0
        elif mode == "parallel":
            counts = await asyncio.gather(*(read(f"f{k}", total // 4) for k in range(4)))
            read_count = sum(counts)
        else:
            read_count = await read("all", total)
        seconds = time.perf_counter() - started
        print(json.dumps({"read": read_count, "seconds": seconds, "rss_before_kb": rss_before,
                          "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))

asyncio.run(main())
""",
    "flask": """
import json, resource, sys, time
from concurrent.futures import ThreadPoolExecutor
import httpx
from akeneo_start_app.akeneo.client import PimApi
from akeneo_start_app.akeneo.exchange import Connection
from akeneo_start_app.akeneo.fair_use import FairUse

pim_url, mode, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
PATH = "/api/rest/v1/products-uuid"
CALLS = 96

with httpx.Client(timeout=30) as http:
    api = PimApi(
        Connection(pim_url, "token", ()),
        http=http,
        fair_use=FairUse.shared_by_workers(),
        on_disconnected=lambda c: None,
    )
    def read(family, count):
        return sum(1 for _ in api.iter_items(PATH, {"family": family, "total": count}))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        if mode == "calls":
            list(pool.map(lambda _: api.get(PATH, {"total": 0}), range(CALLS)))
            read_count = 0
        elif mode == "parallel":
            read_count = sum(pool.map(lambda k: read(f"f{k}", total // 4), range(4)))
        else:
            read_count = read("all", total)
    seconds = time.perf_counter() - started
    print(json.dumps({"read": read_count, "seconds": seconds, "rss_before_kb": rss_before,
                      "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
""",
}


def client(
    project: Path, framework: str, pim_url: str, mode: str, total: int, workers: int = 1
) -> dict[str, Any]:
    script = project / "bench_client.py"
    script.write_text(textwrap.dedent(CLIENT[framework]))
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "WEB_CONCURRENCY": str(workers)}
    output = subprocess.run(
        [sys.executable, script, pim_url, mode, str(total)],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def workers_in_flight(
    project: Path, framework: str, pim: FakePim, pim_url: str, workers: int, share: bool
) -> int:
    """Most calls in flight from `workers` processes at once, each making 96 calls."""
    pim.most_in_flight = 0
    script = project / "bench_client.py"
    script.write_text(textwrap.dedent(CLIENT[framework]))
    # Without the share, each process believes it is alone (WEB_CONCURRENCY=1).
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "WEB_CONCURRENCY": str(workers if share else 1),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, script, pim_url, "calls", "0"],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.wait()
    return pim.most_in_flight


def main() -> None:
    load_at_start = os.getloadavg()[0]
    pim = FakePim()
    pim_url = serve(pim)
    ceiling = FAMILIES * PER_PAGE / LATENCY
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for framework in ("flask", "fastapi"):
            project = bake(framework, Path(work) / framework)
            single = client(project, framework, pim_url, "single", 10_000)
            parallel = client(project, framework, pim_url, "parallel", 10_000)
            small = client(project, framework, pim_url, "single", 10_000)
            large = client(project, framework, pim_url, "single", 100_000)
            flights = {
                (workers, share): workers_in_flight(
                    project, framework, pim, pim_url, workers, share
                )
                for workers in (2, 3)
                for share in (False, True)
            }
            rows.append((framework, single, parallel, small, large, flights))
    print(
        f"Load average {load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, "
        f"on {os.cpu_count()} cores. "
        f"Fake PIM latency {LATENCY * 1000:.0f} ms a page of {PER_PAGE} products; fair-use "
        f"ceiling {FAMILIES} x {PER_PAGE} / {LATENCY} s = {ceiling:.0f} products/s.\n"
    )
    print("| Figure | Flask | FastAPI |")
    print("|---|---|---|")

    def line(label: str, render: Any) -> None:
        print(f"| {label} | " + " | ".join(render(row) for row in rows) + " |")

    def rate(result: dict[str, Any]) -> float:
        return float(result["read"]) / float(result["seconds"])

    line(
        "`iter_items`, one cursor, 10,000 products",
        lambda r: f"{rate(r[1]):.0f}/s = **{rate(r[1]) / ceiling:.2f}** of the ceiling",
    )
    line(
        "`iter_items`, 4 cursors (one per family), 10,000 products",
        lambda r: f"{rate(r[2]):.0f}/s = **{rate(r[2]) / ceiling:.2f}** of the ceiling",
    )
    line(
        "peak RSS, 10,000 / 100,000 products (before reading)",
        lambda r: (
            f"{r[3]['rss_kb'] / 1024:.1f} / {r[4]['rss_kb'] / 1024:.1f} MB "
            f"({r[3]['rss_before_kb'] / 1024:.1f} MB) = **{r[4]['rss_kb'] / r[3]['rss_kb']:.2f}**"
        ),
    )
    for workers in (2, 3):
        line(
            f"most calls in flight, {workers} workers: whole limit each / `4 // {workers}` each",
            lambda r, w=workers: f"{r[5][(w, False)]} / **{r[5][(w, True)]}**",
        )


if __name__ == "__main__":
    main()
