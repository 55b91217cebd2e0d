"""The Flask web layer: routes, the session cookie and error pages. The logic lives in `flow`."""

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
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from . import APP_NAME, USER_AGENT, flow
from .akeneo.client import PimApi
from .akeneo.errors import AkeneoError
from .akeneo.exchange import Connection
from .akeneo.fair_use import FairUse
{%- if cookiecutter.openid_connect %}
from .akeneo.openid import PublicKeyCache
{%- endif %}
from .akeneo.transport import run
from .redaction import redact_access_logs
from .settings import Settings, load_settings
from .storage import Storage

bp = Blueprint("app", __name__)


def create_app(
    settings: Settings | None = None, http_transport: httpx.BaseTransport | None = None
) -> Flask:
    """Build the App. Tests pass a transport that stands in for the PIMs."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.development,
        # The App's forms hold one token: refuse bigger bodies before they are read.
        MAX_CONTENT_LENGTH=flow.MAX_FORM_BYTES,
    )
    storage = Storage(settings.database_url, settings.token_encryption_keys)
    storage.create_schema()
    app.extensions["akeneo"] = {
        "settings": settings,
        "storage": storage,
        "http": httpx.Client(
            transport=http_transport,
            timeout=settings.http_timeout,
            headers={"User-Agent": USER_AGENT},
        ),
        "fair_use": FairUse(),
{%- if cookiecutter.openid_connect %}
        "public_keys": PublicKeyCache(),
{%- endif %}
    }
    app.register_blueprint(bp)
    app.context_processor(
        lambda: {"app_name": APP_NAME, "missing_credentials": settings.missing_credentials}
    )
    app.register_error_handler(flow.AppError, lambda error: _error_response(error.page))
    app.register_error_handler(AkeneoError, lambda error: _error_response(flow.error_page(error)))
    app.register_error_handler(HTTPException, _http_error)
    redact_access_logs("werkzeug")
    return app


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
    )


@bp.get("/")
def home() -> ResponseReturnValue:
    context = flow.home_context(session, _extension("settings"), _extension("storage"))
    if context["connection"] is None:
        return render_template(
            "welcome.html",
            activate_url=url_for("app.activate", _external=True),
            callback_url=url_for("app.callback", _external=True),
        )
    return render_template("home.html", **context)


@bp.get("/activate")
def activate() -> ResponseReturnValue:
    return redirect(
        flow.activation_redirect(
            session, request.args.get("pim_url"), _extension("settings"), _extension("storage")
        )
    )


@bp.get("/callback")
def callback() -> ResponseReturnValue:
    protocol = flow.callback_exchange(
        session,
        request.args.get("state"),
        request.args.get("code"),
        _extension("settings"),
{%- if cookiecutter.openid_connect %}
        _extension("public_keys"),
{%- endif %}
    )
    connection = run(protocol, _extension("http"))
    flow.remember_connection(session, _extension("storage"), connection)
    return redirect("/")


@bp.get("/first-api-call")
def first_api_call() -> ResponseReturnValue:
    """The connected PIM's channels: the worked example of calling the PIM."""
    pim = pim_api()
    return render_template("channels.html", pim_url=pim.pim_url, channels=pim.channels())


@bp.post("/request-scopes")
def request_scopes() -> ResponseReturnValue:
    storage = _extension("storage")
    connection, scopes = flow.scope_request(
        session, request.form.get(flow.CSRF_FIELD), _extension("settings"), storage
    )
    answer = _pim_api(connection).request_scopes(scopes)
    storage.mark_scopes_requested(connection.pim_url)
    return render_template(
        "scopes_requested.html", pim_url=connection.pim_url, scopes=scopes, answer=answer
    )


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    flow.check_csrf(session, request.form.get(flow.CSRF_FIELD))
    session.clear()
    return redirect("/", code=303)


@bp.get("/health")
def health() -> ResponseReturnValue:
    if _extension("storage").is_available():
        return jsonify(status="ok")
    return jsonify(status="unavailable", reason="the database does not answer"), 503


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
