"""Measure the PIM simulator: catalogue size against time, a page of products, start-up.

Run from the template's root: ``python benchmarks/simulator.py`` (needs cookiecutter and httpx in
the running interpreter, which also runs the baked project). It bakes the default project into a
temporary folder and prints a Markdown table; each figure sits next to a bare baseline taken in
the same run, so a busy machine shifts both sides alike:

- building the seeded catalogue of 2,000 and 100,000 products, against making as many UUIDs;
- a page of 100 products (``GET /api/rest/v1/products-uuid?limit=100``) over HTTP from the
  fake PIM's own server, against its page of 3 channels on the same server;
- ``python -m tests.pim_simulator`` until it prints its "Open ..." line, against the App alone
  (``python -m <package>``) until its ``/health`` answers.
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

TEMPLATE = Path(__file__).resolve().parent.parent
RUNS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def median_seconds(action: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def catalogue_figures(project: Path) -> list[tuple[str, float, float]]:
    sys.path[:0] = [str(project / "src"), str(project)]
    from tests.fake_catalog import build_catalogue

    rows = []
    for count in (2000, 100_000):
        built = median_seconds(lambda count=count: build_catalogue(products=count), 3)
        bare = median_seconds(lambda count=count: [str(uuid.uuid4()) for _ in range(count)], 3)
        rows.append((f"catalogue of {count:,} products / {count:,} UUIDs", built, bare))
    return rows


def page_figures(project: Path) -> list[tuple[str, float, float]]:
    from tests.fake_pim import FakePim, serve

    port = free_port()
    pim = FakePim(f"http://127.0.0.1:{port}", client_id="c", client_secret="s", callback_url="x")
    server = serve(pim, "127.0.0.1", port)
    token = pim.grant(("read_products", "read_channel_settings"))
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    try:
        with httpx.Client(base_url=pim.url, headers=headers, timeout=30) as client:
            client.get("/api/rest/v1/products-uuid", params={"limit": 100})  # values built once
            products = median_seconds(
                lambda: client.get("/api/rest/v1/products-uuid", params={"limit": 100}), 20
            )
            channels = median_seconds(lambda: client.get("/api/rest/v1/channels"), 20)
    finally:
        server.shutdown()
        server.server_close()
    return [("100 products / 3 channels, over HTTP", products, channels)]


def until(process: subprocess.Popen[str], ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("it did not start")
        time.sleep(0.02)


def start_figures(project: Path, package: str) -> list[tuple[str, float, float]]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AKENEO_")}
    environment["PYTHONPATH"] = f"{project / 'src'}{os.pathsep}{project}"

    def simulator() -> None:
        pim_port, app_port = free_port(), free_port()
        with tempfile.TemporaryFile("w+") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.pim_simulator"]
                + ["--pim-port", str(pim_port), "--app-port", str(app_port)],
                cwd=project,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )

            def printed() -> bool:
                log.seek(0)
                return "click Connect" in log.read()

            try:
                until(process, printed)
            finally:
                process.terminate()
                process.wait()

    def app() -> None:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", package],
            cwd=project,
            env={
                **environment,
                "PORT": str(port),
                "AKENEO_CLIENT_ID": "c",
                "AKENEO_CLIENT_SECRET": "s",
                "APP_ENV": "development",
                "DATABASE_URL": f"sqlite:///{project / 'bench.db'}",
            },
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )

        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        try:
            until(process, healthy)
        finally:
            process.terminate()
            process.wait()

    return [
        ("simulator start / the App's start", median_seconds(simulator, 3), median_seconds(app, 3))
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [sys.executable, "-m", "cookiecutter", "--no-input", "-o", folder, str(TEMPLATE)],
            check=True,
            capture_output=True,
        )
        project = Path(folder) / "akeneo-start-app"
        rows = catalogue_figures(project) + page_figures(project)
        rows += start_figures(project, "akeneo_start_app")
    print(
        f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| Figure | Simulator | Baseline | Ratio |\n|---|---|---|---|")
    for name, measured, bare in rows:
        print(
            f"| {name} | {measured * 1000:.1f} ms | {bare * 1000:.1f} ms | {measured / bare:.2f} |"
        )


if __name__ == "__main__":
    main()
