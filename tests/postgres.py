"""Throwaway PostgreSQL servers on 127.0.0.1 for the template's tests and for CI.

A server lives in its own folder (data, socket, log) on a free port; it runs as the `postgres`
user when started by root, since PostgreSQL refuses to run as root. Debian's `postgresql` package
provides the binaries (/usr/lib/postgresql/<version>/bin); PG_BIN overrides where they are.

CI starts one for the whole run and exports its URL (see .ci/run):

    python -m tests.postgres start DIR    # prints a SQLAlchemy URL; the role may create databases
    python -m tests.postgres stop DIR
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROLE = "app"
PASSWORD = "app-password"


class PostgresMissing(RuntimeError):
    pass


def binaries() -> Path:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise PostgresMissing(
        "PostgreSQL's server binaries (pg_ctl, initdb) were not found: "
        "apt-get install postgresql, or set PG_BIN to their folder"
    )


def _version(path: str) -> int:
    return int(Path(path).parent.parent.name.split(".")[0])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One PostgreSQL server in `folder` (default: a new folder in /tmp), on 127.0.0.1 only.

    The `postgres` user must be able to reach `folder`: pytest's tmp_path is private to root.
    """

    def __init__(self, folder: Path | None = None, port: int | None = None) -> None:
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="postgres-")) / "server"
            folder.parent.chmod(0o711)
        self.folder = folder
        self.data = folder / "data"
        self.port = port or free_port()
        self._bin = binaries()

    @property
    def url(self) -> str:
        """A SQLAlchemy URL for the `app` role (CREATEDB) on the `postgres` database."""
        return f"postgresql+psycopg://{ROLE}:{PASSWORD}@127.0.0.1:{self.port}/postgres"

    def url_of(self, database: str) -> str:
        return self.url.rsplit("/", 1)[0] + f"/{database}"

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        (self.folder / "port").write_text(str(self.port))

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_role(self) -> None:
        self.psql(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'")

    def create_database(self, name: str) -> str:
        self.psql(f'CREATE DATABASE "{name}" OWNER {ROLE}')
        return self.url_of(name)

    def psql(self, statement: str) -> str:
        return self._run(
            "psql", "-h", str(self.folder), "-p", str(self.port), "-U", "postgres",
            "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-tAc", statement,
        )  # fmt: skip

    def _run(self, program: str, *arguments: str) -> str:
        command = [str(self._bin / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=120, cwd="/", env=_environment()
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
        return result.stdout


def _environment() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if os.geteuid() == 0:
        environment["HOME"] = pwd.getpwnam("postgres").pw_dir
    return environment


def main(argv: list[str]) -> None:
    action, folder = argv[0], Path(argv[1])
    if action == "start":
        server = PostgresServer(folder)
        server.init()
        server.start()
        server.create_role()
        print(server.url)
    elif action == "stop":
        PostgresServer(folder, port=int((folder / "port").read_text())).stop()
    else:
        raise SystemExit("usage: python -m tests.postgres start|stop DIR")


if __name__ == "__main__":
    main(sys.argv[1:])
