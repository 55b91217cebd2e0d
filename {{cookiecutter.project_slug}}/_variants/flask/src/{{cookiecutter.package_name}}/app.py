"""The Flask web layer: routes, the session cookie and error pages. The logic lives in `flow`."""

import ipaddress
import logging
from collections.abc import Iterable
from typing import Any

import httpx
from flask import (
    Blueprint,
    Flask,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

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
from .settings import Settings, load_settings
from .storage import Storage

logger = logging.getLogger(__name__)

bp = Blueprint("app", __name__)


def create_app(
    settings: Settings | None = None, http_transport: httpx.BaseTransport | None = None
) -> Flask:
    """Build the App. Tests pass a transport that stands in for the PIMs."""
    settings = settings or load_settings()
    for warning in settings.startup_warnings:
        logger.warning(warning)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.development,
        # How old a signed cookie may be; the session it names ends then too (in the database).
        PERMANENT_SESSION_LIFETIME=settings.session_lifetime,
        # The App's forms hold one token: refuse bigger bodies before they are read.
        MAX_CONTENT_LENGTH=flow.MAX_FORM_BYTES,
    )
    app.session_interface = _SessionCookie()
    storage = Storage(settings.database_url, settings.token_encryption_keys)
    schema_gate = SchemaGate(storage)
    schema_gate.log_start_up()
    app.extensions["akeneo"] = {
        "settings": settings,
        "storage": storage,
        "schema_gate": schema_gate,
        "http": httpx.Client(
            transport=http_transport or PimTransport(_address_policy(settings)),
            timeout=settings.http_timeout,
            headers={"User-Agent": USER_AGENT},
        ),
        "fair_use": FairUse.shared_by_workers(),
{%- if cookiecutter.openid_connect %}
        "public_keys": PublicKeyCache(),
{%- endif %}
    }
    app.before_request(_refuse_misdirected)
    app.before_request(_read_body)
    app.before_request(_require_schema)
    app.register_blueprint(bp)
    app.context_processor(
        lambda: {
            "app_name": APP_NAME,
            "missing_credentials": flow.shown_missing_credentials(settings),
        }
    )
    app.register_error_handler(flow.AppError, lambda error: _error_response(error.page))
    app.register_error_handler(AkeneoError, lambda error: _error_response(flow.error_page(error)))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, lambda _: _error_response(DATABASE_UNAVAILABLE))
    # The development server's and gunicorn's access logs (see README, Deploying).
    redact_access_logs("werkzeug", "gunicorn.access")
    if settings.trusted_proxies:
        _trust_forwarded_headers(app, settings.trusted_proxies)
    app.wsgi_app = _SecurityHeaders(  # type: ignore[method-assign]
        app.wsgi_app, settings.development
    )
    return app


def close(app: Flask) -> None:
    """Close the App's PIM client and database connections, once it serves no more requests."""
    app.extensions["akeneo"]["http"].close()
    app.extensions["akeneo"]["storage"].close()


def _address_policy(settings: Settings) -> AddressPolicy:
    return AddressPolicy(
        public_only=not settings.development, trusted_urls=settings.allowed_pim_urls
    )


class _SecurityHeaders:
    """Adds the security headers an answer does not set itself, to every answer.

    A WSGI middleware: it extends the header list on its way to the server, where an
    `after_request` hook would validate each header again through werkzeug's `Headers`.
    """

    def __init__(self, wsgi_app: Any, development: bool) -> None:
        self._wsgi_app = wsgi_app
        self._development = development

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO") or "/"

        def start_with_headers(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            present = (name for name, _ in headers)
            headers.extend(missing_security_headers(path, present, self._development))
            return start_response(status, headers, *args)

        result: Iterable[bytes] = self._wsgi_app(environ, start_with_headers)
        return result


class _SessionCookie(SecureCookieSessionInterface):
    """The signed session cookie, Secure in production and on every https request."""

    def __init__(self) -> None:
        self._signing: URLSafeTimedSerializer | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Built once: the App's keys never change while it runs, and Flask would otherwise
        # build it twice per request (reading the cookie, then writing it).
        if self._signing is None:
            self._signing = super().get_signing_serializer(app)
        return self._signing

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or request.is_secure


def _trust_forwarded_headers(app: Flask, trusted_proxies: tuple[str, ...]) -> None:
    """Read X-Forwarded-Proto and -For, only on requests whose peer is a trusted proxy.

    Anyone can send these headers: from any other address they are ignored.
    """
    networks = [ipaddress.ip_network(network) for network in trusted_proxies]
    direct = app.wsgi_app
    proxied = ProxyFix(direct, x_for=1, x_proto=1, x_host=0, x_port=0, x_prefix=0)

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            peer = ipaddress.ip_address(environ.get("REMOTE_ADDR") or "")
        except ValueError:
            return direct(environ, start_response)
        if not any(peer in network for network in networks):
            return direct(environ, start_response)
        forwarded_for = environ.get("HTTP_X_FORWARDED_FOR")
        if forwarded_for is not None and not is_address_list(forwarded_for):
            logger.warning("Ignored an X-Forwarded-For that is not IP addresses, from %s", peer)
            environ = {**environ}
            del environ["HTTP_X_FORWARDED_FOR"]
        return proxied(environ, start_response)

    app.wsgi_app = wsgi_app  # type: ignore[method-assign]


def _extension(name: str) -> Any:
    return current_app.extensions["akeneo"][name]


def pim_api() -> PimApi:
    """The API of the PIM this browser is connected to; a page saying how to connect if none."""
    return _pim_api(flow.connected_pim(session, _extension("storage")))


def _pim_api(connection: Connection) -> PimApi:
    return PimApi(
        connection,
        http=_extension("http"),
        fair_use=_extension("fair_use"),
        wanted_scopes=_extension("settings").scopes,
        on_disconnected=_extension("storage").mark_disconnected,
        api_max_bytes=_extension("settings").api_max_bytes,
    )


def _refuse_misdirected() -> ResponseReturnValue | None:
    """Outside development, every page answers for APP_URL's host only (not /health or files)."""
    if request.endpoint in ("app.health", "static"):
        return None
    page = flow.misdirected_request(_extension("settings"), request.environ.get("HTTP_HOST"))
    return None if page is None else _error_response(page)


def _read_body() -> ResponseReturnValue | None:
    """Read the request's body before any route: a broken one is a 400 page, not a 500.

    The servers raise their own errors from the body stream (gunicorn's InvalidChunkSize,
    the development server's OSError, a timeout): whatever fails while reading is the
    client's fault, answered 400 with one log line and no traceback. Under gunicorn the
    socket gets a deadline, so a client that stops sending frees its thread.
    """
    connection = request.environ.get("gunicorn.socket")
    if connection is not None:
        connection.settimeout(flow.BODY_TIMEOUT_SECONDS)
    try:
        request.get_data(cache=True)  # capped at MAX_CONTENT_LENGTH (a 413 page)
    except RequestEntityTooLarge:
        raise
    except Exception as error:
        logger.info("Refused a request whose body could not be read: %s", type(error).__name__)
        return _error_response(flow.UNREADABLE_BODY)
    finally:
        if connection is not None:
            connection.settimeout(None)
    return None


def _require_schema() -> ResponseReturnValue | None:
    """Every page waits for the database schema; /health reports on it instead."""
    if request.endpoint in ("app.health", "static"):
        return None
    page = _extension("schema_gate").refusal()
    return None if page is None else _error_response(page)


@bp.get("/")
def home() -> ResponseReturnValue:
    context = flow.home_context(session, _extension("settings"), _extension("storage"))
    if context["connection"] is None:
        welcome = flow.welcome_context(_extension("settings"), request.url_root)
        return render_template("welcome.html", **welcome)
    return render_template("home.html", **context)


@bp.get("/activate")
def activate() -> ResponseReturnValue:
    target = flow.activation_redirect(
        session, request.args.get("pim_url"), _extension("settings"), _extension("storage")
    )
    if isinstance(target, flow.SwitchConfirmation):
        return render_template("switch_pim.html", switch=target)
    return redirect(target)


@bp.post("/activate")
def confirm_switch() -> ResponseReturnValue:
    return redirect(
        flow.confirmed_switch_redirect(
            session,
            request.form.get(flow.CSRF_FIELD),
            request.form.get("pim_url"),
            _extension("settings"),
        ),
        code=303,
    )


@bp.get("/callback")
def callback() -> ResponseReturnValue:
    settings, storage = _extension("settings"), _extension("storage")
    protocol = flow.callback_exchange(
        session,
        request.args,
        settings,
        storage,
{%- if cookiecutter.openid_connect %}
        _extension("public_keys"),
{%- endif %}
    )
    connection = run(protocol, _extension("http"), api_max_bytes=settings.api_max_bytes)
    flow.remember_connection(session, storage, connection, settings)
    return redirect("/")


@bp.get("/first-api-call")
def first_api_call() -> ResponseReturnValue:
    """The connected PIM's channels: the worked example of calling the PIM."""
    pim = pim_api()
    return render_template("channels.html", pim_url=pim.pim_url, channels=pim.channels())


@bp.get("/products")
def products() -> ResponseReturnValue:
    """The first channel's products, a page at a time: the worked example of a list."""
    pim = pim_api()
    view = pim.run(read_products_page(pim.connection, request.args.get("after")))
    return render_template("products.html", pim_url=pim.pim_url, view=view)


@bp.post("/request-scopes")
def request_scopes() -> ResponseReturnValue:
    storage = _extension("storage")
    connection, scopes = flow.scope_request(
        session, request.form.get(flow.CSRF_FIELD), _extension("settings"), storage
    )
    answer = _pim_api(connection).request_scopes(scopes)
    storage.mark_scopes_requested(connection.pim_url, scopes)
    return render_template(
        "scopes_requested.html", pim_url=connection.pim_url, scopes=scopes, answer=answer
    )


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    flow.logout(session, request.form.get(flow.CSRF_FIELD), _extension("storage"))
    return redirect("/", code=303)


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    # No icon: "No Content", cached for a day, rather than a 404 in every access log.
    return "", 204, {"Cache-Control": "max-age=86400"}


@bp.get("/health")
def health() -> ResponseReturnValue:
    problem = _extension("schema_gate").health_problem()
    if problem is None:
        return jsonify(status="ok")
    return jsonify(status="unavailable", reason=problem), 503


def _error_response(page: flow.ErrorPage) -> ResponseReturnValue:
    return render_template("error.html", page=page), page.status


def _http_error(error: HTTPException) -> ResponseReturnValue:
    page = flow.ErrorPage(
        error.code or 500,
        error.name,
        error.description or "",
        "Go back to the home page.",
    )
    return _error_response(page)
