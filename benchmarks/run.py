"""Measure what the template and the App it generates cost, and write BENCHMARKS.md.

Run from the template's root: ``python benchmarks/run.py`` (needs cookiecutter, gunicorn,
uvicorn, alembic, httpx and psycopg in the running interpreter; ``wrk`` from Debian; PostgreSQL
15's server binaries for the two-worker figures). Every ratio compares two figures taken a few
seconds apart in the same run, so a busy machine shifts both sides alike.
``--template-suite`` also times the template's own tests without the slow ones
(``python -m pytest -q -m "not slow"`` at the template's root, several minutes).
"""

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

TEMPLATE = Path(__file__).resolve().parent.parent
BENCHMARKS = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
FRAMEWORKS = ("flask", "fastapi")
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
LOAD_SECONDS = 4
BAKES = 3
PIM_DELAY = 0.02
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered at {url}")


def bake(framework: str, into: Path, openid: bool = False) -> Path:
    subprocess.run(
        [
            BIN / "cookiecutter",
            "--no-input",
            "-o",
            into,
            TEMPLATE,
            f"framework={framework}",
            f"openid_connect={'true' if openid else 'false'}",
        ],
        check=True,
        capture_output=True,
    )
    return into / "akeneo-start-app"


def timed(command: list[Any], **kwargs: Any) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - start


# -- load generators ------------------------------------------------------------------------------


def wrk(url: str, connections: int = 20) -> float:
    """Requests per second that wrk sustains against ``url`` (2 threads)."""
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{LOAD_SECONDS}s", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if match is None or non2xx is not None:
        raise RuntimeError(f"wrk failed against {url}:\n{out}")
    return float(match.group(1))


async def connect(app: str, pim_url: str, client: httpx.AsyncClient) -> None:
    """One browser connecting the App: activate, consent at the PIM, callback, home page."""
    client.cookies.clear()
    answer = await client.get(f"{app}/activate", params={"pim_url": pim_url})
    assert answer.status_code in (302, 303, 307), answer.text
    consent = await client.get(answer.headers["location"])
    assert consent.status_code == 302, consent.text
    callback = await client.get(consent.headers["location"])
    assert callback.status_code in (302, 303), callback.text
    home = await client.get(f"{app}/")
    assert home.status_code == 200 and pim_url in home.text, home.text[:300]


@dataclass
class Load:
    per_second: float
    count: int
    p50_ms: float
    p99_ms: float


async def browsers(
    app: str, pim_urls: list[str], concurrent: int, step: str, on_start: Any = None
) -> Load:
    """Run ``concurrent`` browsers doing ``step`` in a loop for LOAD_SECONDS."""
    latencies: list[float] = []
    clients = [httpx.AsyncClient(timeout=30) for _ in range(concurrent)]
    if step == "first-api-call":  # each user connects once, before the clock starts
        await asyncio.gather(
            *(connect(app, pim_urls[i % len(pim_urls)], client) for i, client in enumerate(clients))
        )
    if on_start is not None:
        on_start()
    stop = time.perf_counter() + LOAD_SECONDS

    async def browser(client: httpx.AsyncClient, pim_url: str) -> None:
        while time.perf_counter() < stop:
            start = time.perf_counter()
            if step == "connect":
                await connect(app, pim_url, client)
            else:
                page = await client.get(f"{app}/first-api-call")
                assert page.status_code == 200, page.text[:300]
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(
        *(browser(client, pim_urls[i % len(pim_urls)]) for i, client in enumerate(clients))
    )
    elapsed = time.perf_counter() - start
    for client in clients:
        await client.aclose()
    latencies.sort()
    return Load(
        len(latencies) / elapsed,
        len(latencies),
        1000 * latencies[len(latencies) // 2],
        1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    )


async def mixed(app: str, pim_url: str, total: int, concurrent: int = 20) -> None:
    """``total`` requests (activate, health, home, first API call) from connected browsers."""
    paths = [f"/activate?pim_url={pim_url}", "/health", "/", "/first-api-call"]
    per_browser = total // concurrent

    async def browser() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            await connect(app, pim_url, client)
            for index in range(per_browser - 4):
                answer = await client.get(f"{app}{paths[index % len(paths)]}")
                assert answer.status_code < 400, answer.text[:300]

    await asyncio.gather(*(browser() for _ in range(concurrent)))


# -- processes ------------------------------------------------------------------------------------


class FakePimProcess:
    """The baked project's fake PIM in its own process (see pim_server.py)."""

    def __init__(self, project: Path, callback_url: str, count: int = 1) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                BENCHMARKS / "pim_server.py",
                str(count),
                CLIENT_ID,
                CLIENT_SECRET,
                callback_url,
            ],
            cwd=project,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": f"{project}{os.pathsep}{project / 'src'}"},
        )
        assert self.process.stdout is not None
        self.urls = self.process.stdout.readline().split()
        self.url = self.urls[0] if self.urls else ""
        if not self.url.startswith("http://"):
            raise RuntimeError("the fake PIM did not start")

    def command(self, line: str) -> dict[str, int]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())  # type: ignore[no-any-return]

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(10)


def server_command(framework: str, port: int, target: str | None = None) -> list[str]:
    """The production command of the generated README (``target`` swaps in another app)."""
    if framework == "flask":
        return [
            str(BIN / "gunicorn"),
            "--config",
            "gunicorn.conf.py",
            *([target] if target else []),
        ]
    return [
        str(BIN / "uvicorn"),
        target or "akeneo_start_app.app:create_app",
        *([] if target else ["--factory"]),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-proxy-headers",
        "--log-config",
        "logging.json",
    ]


class Server:
    def __init__(
        self,
        framework: str,
        project: Path,
        env: dict[str, str],
        target: str | None = None,
        workers: int = 1,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()
        self.env = {
            **env,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": str(workers),
        }
        command = server_command(framework, self.port, target)
        self.framework = framework
        self.process = subprocess.Popen(
            command,
            cwd=project,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        wait_for(f"{self.url}/health")
        time.sleep(0.5)

    def worker_pid(self) -> int:
        if self.framework == "fastapi":
            return self.process.pid
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return int(children.split()[0])

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.worker_pid()}/status").read_text()
        kilobytes = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return kilobytes / 1024

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(20)


def app_env(project: Path, pim_url: str, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": f"{project / 'src'}{os.pathsep}{BENCHMARKS}",
        "APP_ENV": "development",  # the fake PIM answers on plain-HTTP loopback
        "AKENEO_CLIENT_ID": CLIENT_ID,
        "AKENEO_CLIENT_SECRET": CLIENT_SECRET,
        "AKENEO_ALLOWED_PIM_URLS": pim_url,
        "DATABASE_URL": database_url,
    }


class Postgres:
    """A throwaway PostgreSQL cluster on a free loopback port, owned by the postgres user."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        self.port = free_port()
        shutil.chown(self.folder, "postgres")
        self._as_postgres(
            [
                PG_BIN / "initdb",
                "-D",
                self.folder / "data",
                "-U",
                "bench",
                "--auth=trust",
                "-E",
                "UTF8",
            ]
        )
        self._as_postgres(
            [
                PG_BIN / "pg_ctl",
                "-D",
                self.folder / "data",
                "-w",
                "-l",
                self.folder / "log",
                "-o",
                f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c max_connections=50",
                "start",
            ]
        )
        self._as_postgres(
            [PG_BIN / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "bench", "app"]
        )
        self.url = f"postgresql+psycopg://bench@127.0.0.1:{self.port}/app"

    def _as_postgres(self, command: list[Any]) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *map(str, command)], check=True, capture_output=True)

    def stop(self) -> None:
        self._as_postgres([PG_BIN / "pg_ctl", "-D", self.folder / "data", "-m", "fast", "stop"])
        shutil.rmtree(self.folder, ignore_errors=True)


# -- measurements ---------------------------------------------------------------------------------


def complete_connections(framework: str, project: Path, figures: dict[str, Any], key: str) -> None:
    """Complete connections by 1 and 20 browsers, and the TCP connections the App opened."""
    port = free_port()
    pim = FakePimProcess(project, f"http://127.0.0.1:{port}/callback")
    env = app_env(project, pim.url, f"sqlite:///{project / 'bench.db'}")
    subprocess.run(
        [BIN / "alembic", "upgrade", "head"], cwd=project, env=env, check=True, capture_output=True
    )
    try:
        app = Server(framework, project, env, port=port)
        try:
            for concurrent in (1, 20):
                pim.command("reset")
                load = asyncio.run(browsers(app.url, pim.urls, concurrent, "connect"))
                figures[f"{key}_{concurrent}"] = load
                figures[f"{key}_{concurrent}_pim_connections"] = pim.command("stats")[
                    "app_connections"
                ]
        finally:
            app.stop()
    finally:
        pim.stop()


def measure_framework(framework: str, work: Path, postgres: Postgres | None) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    bake_times = []
    for index in range(BAKES):
        start = time.perf_counter()
        project = bake(framework, work / f"{framework}-{index}")
        bake_times.append(time.perf_counter() - start)
    figures["bake_s"] = statistics.median(bake_times)
    figures["suite_s"] = timed(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"], cwd=project
    )

    port = free_port()
    pim = FakePimProcess(project, f"http://127.0.0.1:{port}/callback")
    env = app_env(project, pim.url, f"sqlite:///{project / 'bench.db'}")
    subprocess.run(
        [BIN / "alembic", "upgrade", "head"], cwd=project, env=env, check=True, capture_output=True
    )
    try:
        app = Server(framework, project, env, port=port)
        figures["rss_start_mb"] = app.rss_mb()
        activate_url = f"{app.url}/activate?pim_url={pim.url}"
        location = httpx.get(activate_url).headers["location"]
        bare = Server(
            framework, project, {**env, "BARE_LOCATION": location}, target=f"bare_{framework}:app"
        )
        try:
            for path, query in (("activate", f"?pim_url={pim.url}"), ("health", "")):
                figures[f"{path}_rps"] = wrk(f"{app.url}/{path}{query}")
                figures[f"{path}_bare_rps"] = wrk(f"{bare.url}/{path}{query}")
                figures[f"{path}_ratio"] = figures[f"{path}_rps"] / figures[f"{path}_bare_rps"]
        finally:
            bare.stop()
        for concurrent in (1, 20):
            pim.command("reset")
            load = asyncio.run(browsers(app.url, pim.urls, concurrent, "connect"))
            stats = pim.command("stats")
            figures[f"connect_{concurrent}"] = load
            figures[f"connect_{concurrent}_pim_connections"] = stats["app_connections"]
        pim.command(f"delay {PIM_DELAY}")
        figures["api_20"] = asyncio.run(
            # Count API calls only, not the consents and token exchanges before them.
            browsers(app.url, pim.urls, 20, "first-api-call", lambda: pim.command("reset"))
        )
        figures["api_max_in_flight"] = pim.command("stats")["max_in_flight"]
        pim.command("delay 0")
        asyncio.run(mixed(app.url, pim.url, 10_000))
        figures["rss_after_mb"] = app.rss_mb()
        app.stop()
        if postgres is not None:
            env = app_env(project, pim.url, postgres.url)
            subprocess.run(
                [BIN / "alembic", "upgrade", "head"],
                cwd=project,
                env=env,
                check=True,
                capture_output=True,
            )
            for workers in (1, 2):
                pim.stop()
                port = free_port()
                # One PIM per browser: tenants connect in parallel, each its own row.
                pim = FakePimProcess(project, f"http://127.0.0.1:{port}/callback", count=20)
                env = app_env(project, ",".join(pim.urls), postgres.url)
                app = Server(framework, project, env, workers=workers, port=port)
                try:
                    figures[f"pg_{workers}w"] = asyncio.run(
                        browsers(app.url, pim.urls, 20, "connect")
                    )
                finally:
                    app.stop()
            figures["pg_ratio"] = figures["pg_2w"].per_second / figures["pg_1w"].per_second
    finally:
        pim.stop()
    # The same complete connections with OpenID Connect: the id_token is verified and the user
    # stored at each callback.
    complete_connections(
        framework, bake(framework, work / f"{framework}-openid", openid=True), figures, "openid"
    )
    return figures


def table(results: dict[str, dict[str, Any]]) -> list[str]:
    def row(label: str, render: Any) -> str:
        return f"| {label} | " + " | ".join(render(results[f]) for f in FRAMEWORKS) + " |"

    def load(key: str) -> Any:
        return lambda r: (
            f"{r[key].per_second:.1f}/s (p50 {r[key].p50_ms:.0f} ms, p99 {r[key].p99_ms:.0f} ms)"
        )

    lines = [
        "| Figure | Flask (gunicorn sync, 1 worker) | FastAPI (uvicorn, 1 worker) |",
        "|---|---|---|",
        row(f"bake, median of {BAKES}", lambda r: f"{r['bake_s']:.2f} s"),
        row("the bake's own test suite", lambda r: f"{r['suite_s']:.1f} s"),
    ]
    for path in ("activate", "health"):
        lines.append(
            row(
                f"`GET /{path}` App / bare app (wrk -t2 -c20)",
                lambda r, p=path: (
                    f"{r[p + '_rps']:.0f} / {r[p + '_bare_rps']:.0f} req/s"
                    f" = **{r[p + '_ratio']:.2f}**"
                ),
            )
        )
    for openid, key in (("off", "connect"), ("on", "openid")):
        for concurrent in (1, 20):
            lines.append(
                row(
                    f"complete connections, {concurrent} browser(s), OpenID Connect {openid}",
                    load(f"{key}_{concurrent}"),
                )
            )
            lines.append(
                row(
                    f"TCP connections the App opened to the PIM ({concurrent}, OpenID {openid})",
                    lambda r, c=concurrent, k=key: (
                        f"{r[f'{k}_{c}_pim_connections']} for {r[f'{k}_{c}'].count} token exchanges"
                    ),
                )
            )
    lines.append(
        row(
            f"`/first-api-call`, 20 users, PIM answers in {PIM_DELAY * 1000:.0f} ms", load("api_20")
        )
    )
    lines.append(row("most concurrent calls the PIM saw", lambda r: str(r["api_max_in_flight"])))
    lines.append(
        row(
            "worker RSS at start / after 10,000 mixed requests",
            lambda r: f"{r['rss_start_mb']:.0f} / {r['rss_after_mb']:.0f} MB",
        )
    )
    if all("pg_ratio" in r for r in results.values()):
        lines.append(row("PostgreSQL, 20 browsers, 1 worker", load("pg_1w")))
        lines.append(row("PostgreSQL, 20 browsers, 2 workers", load("pg_2w")))
        lines.append(row("2 workers / 1 worker", lambda r: f"**{r['pg_ratio']:.2f}**"))
    return lines


def versions() -> str:
    import importlib.metadata as metadata

    names = [
        "cookiecutter",
        "flask",
        "gunicorn",
        "fastapi",
        "starlette",
        "uvicorn",
        "httpx",
        "sqlalchemy",
        "psycopg",
    ]
    found = ", ".join(f"{name} {metadata.version(name)}" for name in names)
    return f"Python {platform.python_version()}, {found}"


def template_suite() -> str:
    """The template's own tests without the slow ones, timed, as its README runs them."""
    command = [sys.executable, "-m", "pytest", "-q", "-m", "not slow"]
    seconds = timed(command, cwd=TEMPLATE)
    return f'The template\'s suite (`python -m pytest -q -m "not slow"`): {seconds:.0f} s.'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--template-suite",
        action="store_true",
        help='also time the template\'s own tests (python -m pytest -q -m "not slow")',
    )
    arguments = parser.parse_args()
    load_at_start = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    postgres = Postgres() if (PG_BIN / "initdb").exists() else None
    try:
        results = {
            framework: measure_framework(framework, work, postgres) for framework in FRAMEWORKS
        }
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)
    lines = table(results)
    if arguments.template_suite:
        lines += ["", template_suite()]
    print("\n".join(lines))
    load = os.getloadavg()
    machine = (
        f"{os.cpu_count()} cores ({platform.machine()}, {platform.system()}), load average "
        f"{load_at_start:.1f} when the run started and {load[0]:.1f} when it ended; {versions()}"
    )
    (BENCHMARKS / "latest.md").write_text(
        f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine}.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    print(f"\n{machine}\nWritten to {BENCHMARKS / 'latest.md'}")


if __name__ == "__main__":
    main()
