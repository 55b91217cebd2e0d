"""The FastAPI web layer: routes, the session cookie and error pages. The logic lives in `flow`.

Handlers are async; the database is used through `run_in_threadpool` so it never blocks the
event loop, and PIMs are called with one `httpx.AsyncClient` opened and closed by the lifespan.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from . import APP_NAME, USER_AGENT, flow
from .akeneo.errors import AkeneoError
{%- if cookiecutter.openid_connect %}
from .akeneo.openid import PublicKeyCache
{%- endif %}
from .akeneo.transport import run
from .redaction import redact_access_logs
from .settings import Settings, load_settings
from .storage import Storage

PACKAGE_DIR = Path(__file__).parent

router = APIRouter()


def create_app(
    settings: Settings | None = None, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """Build the App. Tests pass a transport that stands in for the PIMs."""
    settings = settings or load_settings()
    storage = Storage(settings.database_url, settings.token_encryption_keys)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(storage.create_schema)
        async with httpx.AsyncClient(
            transport=http_transport,
            timeout=settings.http_timeout,
            headers={"User-Agent": USER_AGENT},
        ) as http:
            app.state.http = http
            yield

    app = FastAPI(title=APP_NAME, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.storage = storage
{%- if cookiecutter.openid_connect %}
    app.state.public_keys = PublicKeyCache()
{%- endif %}
    app.state.templates = Jinja2Templates(
        directory=PACKAGE_DIR / "templates",
        context_processors=[
            lambda request: {
                "app_name": APP_NAME,
                "missing_credentials": settings.missing_credentials,
            }
        ],
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        same_site="lax",
        https_only=not settings.development,
    )
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    app.add_exception_handler(flow.AppError, _app_error)
    app.add_exception_handler(AkeneoError, _akeneo_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    redact_access_logs("uvicorn.access")
    return app


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_storage(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


SettingsDependency = Annotated[Settings, Depends(get_settings)]
StorageDependency = Annotated[Storage, Depends(get_storage)]


@router.get("/", response_class=HTMLResponse)
async def home(
    request: Request, settings: SettingsDependency, storage: StorageDependency
) -> Response:
    context = await run_in_threadpool(flow.home_context, request.session, storage)
    if context["connection"] is None:
        welcome = flow.welcome_context(
            settings, str(request.url_for("activate")), str(request.url_for("callback"))
        )
        return _page(request, "welcome.html", **welcome)
    return _page(request, "home.html", **context)


@router.get("/activate")
async def activate(
    request: Request, settings: SettingsDependency, storage: StorageDependency
) -> RedirectResponse:
    location = await run_in_threadpool(
        flow.activation_redirect,
        request.session,
        request.query_params.get("pim_url"),
        settings,
        storage,
    )
    return RedirectResponse(location, status_code=302)


@router.get("/callback")
async def callback(
    request: Request, settings: SettingsDependency, storage: StorageDependency
) -> RedirectResponse:
    protocol = flow.callback_exchange(
        request.session,
        request.query_params.get("state"),
        request.query_params.get("code"),
        settings,
{%- if cookiecutter.openid_connect %}
        request.app.state.public_keys,
{%- endif %}
    )
    connection = await run(protocol, request.app.state.http)
    await run_in_threadpool(flow.remember_connection, request.session, storage, connection)
    return RedirectResponse("/", status_code=302)


@router.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/", status_code=303)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    # No icon: "No Content", cached for a day, rather than a 404 in every access log.
    return Response(status_code=204, headers={"Cache-Control": "max-age=86400"})


@router.get("/health")
async def health(storage: StorageDependency) -> JSONResponse:
    if await run_in_threadpool(storage.is_available):
        return JSONResponse({"status": "ok"})
    return JSONResponse(
        {"status": "unavailable", "reason": "the database does not answer"}, status_code=503
    )


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


async def _unexpected_error(request: Request, error: Exception) -> Response:
    page = flow.ErrorPage(
        500, "Something went wrong", "The App failed unexpectedly.", "Try again in a moment."
    )
    return _error_page(request, page)
