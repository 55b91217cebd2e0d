"""The Flask web layer: routes, the session cookie and error pages. The logic lives in `flow`."""

import logging
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
from werkzeug import Response
from werkzeug.exceptions import HTTPException

from . import APP_NAME, USER_AGENT, flow
from .akeneo.errors import AkeneoError
from .akeneo.network import AddressPolicy, PimTransport
{%- if cookiecutter.openid_connect %}
from .akeneo.openid import PublicKeyCache
{%- endif %}
from .akeneo.transport import run
from .headers import security_headers
from .redaction import redact_access_logs
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
    )
    storage = Storage(settings.database_url, settings.token_encryption_keys)
    storage.create_schema()
    app.extensions["akeneo"] = {
        "settings": settings,
        "storage": storage,
        "http": httpx.Client(
            transport=http_transport or PimTransport(_address_policy(settings)),
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
    app.after_request(_add_security_headers)
    # The development server's and gunicorn's access logs (see README, Deploying).
    redact_access_logs("werkzeug", "gunicorn.access")
    return app


def _address_policy(settings: Settings) -> AddressPolicy:
    return AddressPolicy(
        public_only=not settings.development, trusted_urls=settings.allowed_pim_urls
    )


def _add_security_headers(response: Response) -> Response:
    for name, value in security_headers(request.path).items():
        response.headers.setdefault(name, value)
    return response


def _extension(name: str) -> Any:
    return current_app.extensions["akeneo"][name]


@bp.get("/")
def home() -> ResponseReturnValue:
    context = flow.home_context(session, _extension("storage"))
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
    connection = run(
        protocol, _extension("http"), api_max_bytes=_extension("settings").api_max_bytes
    )
    flow.remember_connection(session, _extension("storage"), connection)
    return redirect("/")


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    session.clear()
    return redirect("/")


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
