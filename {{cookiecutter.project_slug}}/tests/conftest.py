"""Fixtures: the App as a browser sees it, in front of fake PIMs (see fake_pim.py)."""

{% if cookiecutter.framework == "fastapi" -%}
import asyncio
import os
import re
from collections.abc import Callable, Coroutine, Iterator
{%- else -%}
import os
import re
from collections.abc import Callable, Iterator
{%- endif %}
from dataclasses import dataclass
{%- if cookiecutter.framework == "fastapi" %}
from typing import Any, TypeVar
{%- endif %}
from urllib.parse import urlsplit

{% if cookiecutter.framework == "fastapi" -%}
import httpx
{% endif -%}
import pytest
from cryptography.fernet import Fernet
{%- if cookiecutter.framework == "flask" %}
from flask import Flask
{%- else %}
from fastapi import FastAPI
{%- endif %}
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from {{ cookiecutter.package_name }}.app import {% if cookiecutter.framework == "flask" %}close, {% endif %}create_app
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import Storage
from tests.databases import DatabaseFactory
from tests.fake_pim import FakePim, pim_transport

CLIENT_ID = "test-app-client-id"
CLIENT_SECRET = "test-app-client-secret"
CALLBACK_URL = "http://testserver/callback"
_FORM = re.compile(r'<form method="post" action="([^"]+)">(.*?)</form>', re.DOTALL)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
BROWSER_ADDRESS = "127.0.0.1"

# Property-based tests: a quick profile for every run, a thorough one on demand
# (HYPOTHESIS_PROFILE=thorough pytest). Each example is a few requests to a fresh App state.
hypothesis_settings.register_profile(
    "default",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
hypothesis_settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


class CompiledTemplates(BytecodeCache):
    """Templates compiled once for the whole session, shared by every App the tests build.

    Each App has a Jinja environment of its own, which compiles each template it renders (a
    good part of an App's first requests). Jinja reuses compiled code only for the same
    template source.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()
{%- if cookiecutter.framework == "fastapi" %}

Result = TypeVar("Result")


class RunningApp:
    """The App with its lifespan started, driven on an event loop of the test's own thread.

    Requests reach the App through httpx's ASGI transport: no server and no thread hop per
    request, which keeps the suite fast. The lifespan runs as the ASGI protocol describes it.
    """

    def __init__(self, app: FastAPI) -> None:
        app.state.templates.env.bytecode_cache = COMPILED_TEMPLATES
        self._app = app
        self._runner = asyncio.Runner()
        self._to_app: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self._clients: list[httpx.AsyncClient] = []
        try:
            self._lifespan = self._runner.run(self._start())
        except BaseException:
            self._runner.close()
            raise

    def client(self, address: str) -> httpx.AsyncClient:
        """A client with its own cookie jar, like one browser at `address`."""
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self._app, client=(address, 50000)),
            base_url="http://testserver",
        )
        self._clients.append(client)
        return client

    def run(self, coroutine: Coroutine[Any, Any, Result]) -> Result:
        return self._runner.run(coroutine)

    def close(self) -> None:
        for client in self._clients:
            self._runner.run(client.aclose())
        self._runner.run(self._lifespan_event(self._lifespan, "shutdown"))
        self._runner.close()

    async def _start(self) -> "asyncio.Task[None]":
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        # The lifespan task lives until shutdown, across the runner's calls.
        lifespan = asyncio.create_task(
            self._app(scope, self._to_app.get, self._from_app.put)  # type: ignore[arg-type]
        )
        await self._lifespan_event(lifespan, "startup")
        return lifespan

    async def _lifespan_event(self, lifespan: "asyncio.Task[None]", event: str) -> None:
        await self._to_app.put({"type": f"lifespan.{event}"})
        reply = await self._from_app.get()
        if reply["type"] != f"lifespan.{event}.complete" or event == "shutdown":
            # The App ends its lifespan after a failure: awaiting it raises the failure.
            await lifespan
        assert reply["type"] == f"lifespan.{event}.complete", reply
{%- endif %}


@dataclass
class Page:
    status: int
    text: str
    location: str
    cookie: str  # the Set-Cookie header, if any


class Browser:
    """One browser (one cookie jar) talking to the App, like the PIM user's."""
{% if cookiecutter.framework == "flask" %}
    def __init__(self, app: Flask, address: str = BROWSER_ADDRESS) -> None:
        app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
        self._client = app.test_client()
        self._client.environ_base["REMOTE_ADDR"] = address
{%- else %}
    def __init__(self, app: RunningApp, address: str = BROWSER_ADDRESS) -> None:
        # Browsers share the running App (one lifespan); each has its own cookies.
        self._app = app
        self._client = app.client(address)
{%- endif %}

    def get(
        self,
        url: str,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Page:
        return self._request("GET", url, params, headers)

    def post(self, url: str, form: dict[str, str] | None = None) -> Page:
        return self._request("POST", url, None, None, form)

    def submit(self, page: Page, action: str) -> Page:
        """Click the button of the form posting to `action` on `page`, with its hidden fields."""
        forms = {found: fields for found, fields in _FORM.findall(page.text)}
        assert action in forms, f"no form posting to {action} on the page"
        return self.post(action, dict(_HIDDEN.findall(forms[action])))

    def _request(
        self,
        method: str,
        url: str,
        params: dict[str, str] | None,
        headers: dict[str, str] | None,
        form: dict[str, str] | None = None,
    ) -> Page:
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
{%- if cookiecutter.framework == "flask" %}
        with self._client.open(
            path, method=method, query_string=params, headers=headers, data=form
        ) as response:  # closed: a file's answer (a stylesheet) holds the file open until then
            return Page(
                response.status_code,
                response.get_data(as_text=True),
                response.location or "",
                response.headers.get("set-cookie", ""),
            )
{%- else %}
        response = self._app.run(
            self._client.request(method, path, params=params, headers=headers, data=form)
        )
        return Page(
            response.status_code,
            response.text,
            response.headers.get("location", ""),
            response.headers.get("set-cookie", ""),
        )
{%- endif %}

    def connect(self, pim: FakePim) -> Page:
        """Click Connect in the PIM, confirm leaving the PIM this browser is on, if any, consent,
        and land back on the App."""
        activation = self.get("/activate", {"pim_url": pim.url})
        if activation.status == 200:
            activation = self.submit(activation, "/activate")
        assert activation.status in (302, 303), activation.text
        return self.get(pim.authorize(activation.location))

    @property
    def session_cookie(self) -> str:
        """The signed session cookie this browser holds ("" if none), as a thief would copy it."""
{%- if cookiecutter.framework == "flask" %}
        cookie = self._client.get_cookie("session")
        return cookie.value if cookie is not None else ""
{%- else %}
        return self._client.cookies.get("session") or ""
{%- endif %}

    @session_cookie.setter
    def session_cookie(self, value: str) -> None:
{%- if cookiecutter.framework == "flask" %}
        self._client.set_cookie("session", value)
{%- else %}
        self._client.cookies.set("session", value)
{%- endif %}


@pytest.fixture
def pim_a() -> FakePim:
    return FakePim(
        "https://pim-a.example.test",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        callback_url=CALLBACK_URL,
    )


@pytest.fixture
def pim_b() -> FakePim:
    return FakePim(
        "https://pim-b.example.test",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        callback_url=CALLBACK_URL,
    )


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    """Databases at the latest migration (migrated once per session, copied per test)."""
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.drop_all()


@pytest.fixture
def database_url(databases: DatabaseFactory) -> str:
    """A database as `alembic upgrade head` leaves it, with no row."""
    return databases.emptied()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=("read_channel_settings", "read_channel_localization"),
        secret_key="a-test-secret-key-that-is-long-enough",
        token_encryption_keys=(Fernet.generate_key().decode(),),
        database_url=database_url,
    )


@pytest.fixture
def make_browser(
    settings: Settings, pim_a: FakePim, pim_b: FakePim
) -> Iterator[Callable[..., Browser]]:
    """Browsers on one App; `make_browser(settings)` builds an App with other settings.

    `address` is the browser's IP address as the App sees it (the TCP peer).
    """
{%- if cookiecutter.framework == "flask" %}
    apps: dict[Settings, Flask] = {}

    def make(settings: Settings = settings, address: str = BROWSER_ADDRESS) -> Browser:
        if settings not in apps:
            apps[settings] = create_app(settings, http_transport=pim_transport(pim_a, pim_b))
        return Browser(apps[settings], address)

    yield make
    for app in apps.values():
        close(app)
{%- else %}
    apps: dict[Settings, RunningApp] = {}

    def make(settings: Settings = settings, address: str = BROWSER_ADDRESS) -> Browser:
        if settings not in apps:
            # Starting runs the App's lifespan: schema check and HTTP client.
            apps[settings] = RunningApp(
                create_app(settings, http_transport=pim_transport(pim_a, pim_b))
            )
        return Browser(apps[settings], address)

    yield make
    for app in apps.values():
        app.close()
{%- endif %}


@pytest.fixture
def browser(make_browser: Callable[..., Browser]) -> Browser:
    return make_browser()


@pytest.fixture
def storage(settings: Settings) -> Iterator[Storage]:
    storage = Storage(settings.database_url, settings.token_encryption_keys)
    yield storage
    storage.close()
