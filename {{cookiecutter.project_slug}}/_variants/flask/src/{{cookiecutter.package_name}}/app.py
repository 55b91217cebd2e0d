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
from .akeneo.errors import AkeneoError
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


@bp.get("/")
def home() -> ResponseReturnValue:
    context = flow.home_context(session, _extension("storage"))
    if context["connection"] is None:
        welcome = flow.welcome_context(
            _extension("settings"),
            url_for("app.activate", _external=True),
            url_for("app.callback", _external=True),
        )
        return render_template("welcome.html", **welcome)
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


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    session.clear()
    return redirect("/")


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    # No icon: "No Content", cached for a day, rather than a 404 in every access log.
    return "", 204, {"Cache-Control": "max-age=86400"}


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
