"""The FastAPI web layer: routes, the session cookie and error pages. The logic lives in `flow`.

Handlers are async; the database is used through `run_in_threadpool` so it never blocks the
event loop, and PIMs are called with one `httpx.AsyncClient` opened and closed by the lifespan.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from . import APP_NAME, USER_AGENT, flow
from .akeneo.client import PimApi
from .akeneo.errors import AkeneoError
from .akeneo.exchange import Connection
from .akeneo.fair_use import FairUse
from .akeneo.network import AddressPolicy, PimTransport
{%- if cookiecutter.openid_connect %}
from .akeneo.openid import PublicKeyCache
{%- endif %}
from .akeneo.transport import run
from .headers import is_address_list, missing_security_headers
from .products import read_products_page
from .redaction import redact_access_logs
from .schema import DATABASE_UNAVAILABLE, SchemaGate
from .settings import Settings, load_settings, unknown_variable_warnings
from .storage import Storage

PACKAGE_DIR = Path(__file__).parent
logger = logging.getLogger(__name__)

router = APIRouter()


def create_app(
    settings: Settings | None = None, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """Build the App. Tests pass a transport that stands in for the PIMs."""
    if settings is None:
        # Built by the uvicorn command (or a reloaded process), which reads no settings itself:
        # name the variables that are not settings here, as `python -m` does before it starts.
        settings = load_settings()
        for unknown in unknown_variable_warnings():
            logger.warning(unknown)
    for warning in settings.startup_warnings:
        logger.warning(warning)
    storage = Storage(settings.database_url, settings.token_encryption_keys)
    schema_gate = SchemaGate(storage)
    transport = http_transport or PimTransport(
        AddressPolicy(public_only=not settings.development, trusted_urls=settings.allowed_pim_urls)
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(schema_gate.log_start_up)
        async with httpx.AsyncClient(
            transport=transport,
            timeout=settings.http_timeout,
            headers={"User-Agent": USER_AGENT},
        ) as http:
            app.state.http = http
            try:
                yield
            finally:
                await run_in_threadpool(storage.close)

    # The schema lists every route: published in development only.
    app = FastAPI(
        title=APP_NAME,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.development else None,
    )
    app.state.settings = settings
    app.state.storage = storage
    app.state.fair_use = FairUse.shared_by_workers()
    app.state.schema_gate = schema_gate
{%- if cookiecutter.openid_connect %}
    app.state.public_keys = PublicKeyCache()
{%- endif %}
    app.state.templates = Jinja2Templates(
        directory=PACKAGE_DIR / "templates",
        context_processors=[
            lambda request: {
                "app_name": APP_NAME,
                "missing_credentials": flow.shown_missing_credentials(settings),
            }
        ],
    )
    app.add_middleware(
        _SessionCookie,
        secret_key=settings.secret_key,
        max_age=int(settings.session_lifetime.total_seconds()),
        always_secure=not settings.development,
    )
    app.add_middleware(_SecurityHeaders, development=settings.development)
    app.add_middleware(_HeadAsGet)
    if settings.trusted_proxies:
        # Outermost: the scheme and client it sets from a trusted proxy's headers are what the
        # session cookie and the page URLs see. Other peers' forwarded headers are ignored.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
        app.add_middleware(_AddressesOnly)
    app.include_router(
        router, dependencies=[Depends(_refuse_misdirected), Depends(_require_schema)]
    )
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    app.add_exception_handler(flow.AppError, _app_error)
    app.add_exception_handler(AkeneoError, _akeneo_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
    redact_access_logs("uvicorn.access")
    return app


class _SessionCookie:
    """Starlette's signed session cookie, Secure in production and on every https request."""

    def __init__(self, app: ASGIApp, secret_key: str, max_age: int, always_secure: bool) -> None:
        options: dict[str, Any] = {"secret_key": secret_key, "max_age": max_age, "same_site": "lax"}
        self._secure = SessionMiddleware(app, https_only=True, **options)
        self._plain = self._secure if always_secure else SessionMiddleware(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        secure = scope.get("scheme") in ("https", "wss")
        await (self._secure if secure else self._plain)(scope, receive, send)


class _SecurityHeaders:
    """Adds the security headers an answer does not set itself, to every answer.

    A plain ASGI middleware: it only edits the start message, where `app.middleware("http")`
    would run every request through an extra task and memory stream.
    """

    def __init__(self, app: ASGIApp, development: bool) -> None:
        self._app = app
        self._development = development

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope["path"]
        development = self._development

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = (name.decode("latin-1") for name, _ in headers)
                for name, value in missing_security_headers(path, present, development):
                    headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, send_with_headers)


class _HeadAsGet:
    """Answers HEAD wherever GET is answered: the GET answer's status and headers, no body.

    FastAPI routes answer only the methods they list, and listing HEAD beside GET on each
    route would give the published schema two operations of one name.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self._app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self._app({**scope, "method": "GET"}, receive, send_without_body)


class _AddressesOnly:
    """Drops an X-Forwarded-For that is not a list of IP addresses, before uvicorn reads it.

    Otherwise its text would become the client's address, in the access log too.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            kept = [
                (name, value)
                for name, value in headers
                if name != b"x-forwarded-for" or is_address_list(value.decode("latin-1"))
            ]
            if len(kept) != len(headers):
                client = (scope.get("client") or ("unknown",))[0]
                logger.warning(
                    "Ignored an X-Forwarded-For that is not IP addresses, from %s", client
                )
                scope = {**scope, "headers": kept}
        await self._app(scope, receive, send)


async def _refuse_misdirected(request: Request) -> None:
    """Outside development, every page answers for APP_URL's host only (not /health or files)."""
    if request.scope["path"] == "/health":
        return
    page = flow.misdirected_request(request.app.state.settings, request.headers.get("host"))
    if page is not None:
        raise flow.AppError(page)


async def _require_schema(request: Request) -> None:
    """Every page waits for the database schema; /health reports on it instead.

    Once the schema was found it stays: the check then costs no query and no thread.
    """
    gate: SchemaGate = request.app.state.schema_gate
    if gate.ready or request.scope["path"] == "/health":
        return
    page = await run_in_threadpool(gate.refusal)
    if page is not None:
        raise flow.AppError(page)


# Async although they do no I/O: FastAPI runs a plain `def` dependency in the thread pool.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


SettingsDependency = Annotated[Settings, Depends(get_settings)]
StorageDependency = Annotated[Storage, Depends(get_storage)]


async def get_pim_api(
    request: Request, settings: SettingsDependency, storage: StorageDependency
) -> PimApi:
    """The API of the PIM this browser is connected to; a page saying how to connect if none."""
    connection = await run_in_threadpool(flow.connected_pim, request.session, storage)
    return _pim_api(request, settings, storage, connection)


PimApiDependency = Annotated[PimApi, Depends(get_pim_api)]


@router.get("/", response_class=HTMLResponse)
async def home(
    request: Request, settings: SettingsDependency, storage: StorageDependency
) -> Response:
    context = await run_in_threadpool(flow.home_context, request.session, settings, storage)
    if context["connection"] is None:
        welcome = flow.welcome_context(settings, str(request.base_url))
        return _page(request, "welcome.html", **welcome)
    return _page(request, "home.html", **context)


@router.get("/activate")
async def activate(
    request: Request, settings: SettingsDependency, storage: StorageDependency
) -> Response:
    arguments = (request.session, request.query_params.get("pim_url"), settings, storage)
    if request.session:
        # Linked to a PIM: the flow reads the database (is it still connected?).
        target = await run_in_threadpool(flow.activation_redirect, *arguments)
    else:
        # A new browser has nothing stored to look up: answered without a thread hand-off,
        # which costs more than the rest of this request.
        target = flow.activation_redirect(*arguments)
    if isinstance(target, flow.SwitchConfirmation):
        return _page(request, "switch_pim.html", switch=target)
    return RedirectResponse(target, status_code=302)


@router.post("/activate")
async def confirm_switch(request: Request, settings: SettingsDependency) -> RedirectResponse:
    form = await _form(request)
    location = flow.confirmed_switch_redirect(
        request.session, form.get(flow.CSRF_FIELD), form.get("pim_url"), settings
    )
    return RedirectResponse(location, status_code=303)


@router.get("/callback")
async def callback(
    request: Request, settings: SettingsDependency, storage: StorageDependency
) -> RedirectResponse:
    protocol = await run_in_threadpool(
        flow.callback_exchange,
        request.session,
        request.query_params,
        settings,
        storage,
{%- if cookiecutter.openid_connect %}
        request.app.state.public_keys,
{%- endif %}
    )
    connection = await run(protocol, request.app.state.http, api_max_bytes=settings.api_max_bytes)
    await run_in_threadpool(
        flow.remember_connection, request.session, storage, connection, settings
    )
    return RedirectResponse("/", status_code=302)


@router.get("/first-api-call", response_class=HTMLResponse)
async def first_api_call(request: Request, pim: PimApiDependency) -> Response:
    """The connected PIM's channels: the worked example of calling the PIM."""
    channels = await pim.channels()
    return _page(request, "channels.html", pim_url=pim.pim_url, channels=channels)


@router.get("/products", response_class=HTMLResponse)
async def products(request: Request, pim: PimApiDependency, after: str | None = None) -> Response:
    """The first channel's products, a page at a time: the worked example of a list."""
    view = await pim.run(read_products_page(pim.connection, after))
    return _page(request, "products.html", pim_url=pim.pim_url, view=view)


@router.post("/request-scopes", response_class=HTMLResponse)
async def request_scopes(
    request: Request, settings: SettingsDependency, storage: StorageDependency
) -> Response:
    form = await _form(request)
    connection, scopes = await run_in_threadpool(
        flow.scope_request, request.session, form.get(flow.CSRF_FIELD), settings, storage
    )
    pim = _pim_api(request, settings, storage, connection)
    answer = await pim.request_scopes(scopes)
    await run_in_threadpool(storage.mark_scopes_requested, connection.pim_url, scopes)
    return _page(
        request, "scopes_requested.html", pim_url=pim.pim_url, scopes=scopes, answer=answer
    )


@router.post("/logout")
async def logout(request: Request, storage: StorageDependency) -> RedirectResponse:
    form = await _form(request)
    await run_in_threadpool(flow.logout, request.session, form.get(flow.CSRF_FIELD), storage)
    return RedirectResponse("/", status_code=303)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    # No icon: "No Content", cached for a day, rather than a 404 in every access log.
    return Response(status_code=204, headers={"Cache-Control": "max-age=86400"})


@router.get("/health", include_in_schema=False)
async def health(request: Request) -> JSONResponse:
    gate: SchemaGate = request.app.state.schema_gate
    problem = await run_in_threadpool(gate.health_problem)
    if problem is None:
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)


def _pim_api(
    request: Request, settings: Settings, storage: Storage, connection: Connection
) -> PimApi:
    return PimApi(
        connection,
        http=request.app.state.http,
        fair_use=request.app.state.fair_use,
        wanted_scopes=settings.scopes,
        on_disconnected=storage.mark_disconnected,
        api_max_bytes=settings.api_max_bytes,
    )


FORM_TOO_LARGE = flow.ErrorPage(413, "This form is too large", "", "Go back to the home page.")


async def _form(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form, read with a size cap (the App's forms hold one token).

    Read here rather than with `request.form()`, which needs the python-multipart package for
    forms this small, and caps sizes only far above what the App's forms need.
    """
    content_type = request.headers.get("content-type", "").partition(";")[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        return {}
    body = bytearray()
    try:
        async with asyncio.timeout(flow.BODY_TIMEOUT_SECONDS):
            async for chunk in request.stream():
                body += chunk
                if len(body) > flow.MAX_FORM_BYTES:
                    raise flow.AppError(FORM_TOO_LARGE)
    except (ClientDisconnect, TimeoutError) as error:
        # A malformed chunk or a client that left: uvicorn has answered 400 already, and this
        # page keeps the failure out of the error log. A client too slow to send gets it.
        logger.info("Refused a request whose body could not be read: %s", type(error).__name__)
        raise flow.AppError(flow.UNREADABLE_BODY) from None
    fields: dict[str, str] = {}
    for name, value in parse_qsl(body.decode(errors="replace")):
        fields.setdefault(name, value)  # the first value of a repeated field
    return fields


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def _error_page(request: Request, page: flow.ErrorPage) -> Response:
    return _page(request, "error.html", status_code=page.status, page=page)


async def _app_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, flow.AppError)
    return _error_page(request, error.page)


async def _akeneo_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, AkeneoError)
    return _error_page(request, flow.error_page(error))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    page = flow.ErrorPage(error.status_code, str(error.detail), "", "Go back to the home page.")
    return _error_page(request, page)


async def _database_error(request: Request, error: Exception) -> Response:
    return _error_page(request, DATABASE_UNAVAILABLE)


async def _unexpected_error(request: Request, error: Exception) -> Response:
    page = flow.ErrorPage(
        500, "Something went wrong", "The App failed unexpectedly.", "Try again in a moment."
    )
    return _error_page(request, page)
