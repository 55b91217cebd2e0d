"""What the App's pages do, written once for any web framework.

The web layer passes the browser session (a signed cookie, as a mutable mapping), the settings and
the storage; these functions decide and raise `AppError`s that the web layer renders as pages.

The cookie holds this browser's pending authorizations, its form token and, once a PIM connected,
the id of a session recorded in the database: logging out ends that record, and with it every
copy of the cookie.
"""

import hmac
import logging
import secrets
import time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from .akeneo.errors import (
    AkeneoError,
    CatalogUnavailable,
{%- if cookiecutter.openid_connect %}
    InvalidIdToken,
{%- endif %}
    InvalidPimUrl,
    ListTooLong,
    MissingScope,
    PimApiError,
    PimBadResponse,
    PimBusy,
    PimDisconnected,
    PimNotFound,
    PimRefused,
    PimTimeout,
    PimUnreachable,
    PimValidationFailed,
)
from .akeneo.exchange import Connection, Protocol, exchange_code
from .akeneo.oauth import build_authorize_url, new_state
{%- if cookiecutter.openid_connect %}
from .akeneo.openid import PublicKeyCache
{%- endif %}
from .akeneo.pim_url import has_public_host, is_allowed, normalize_pim_url
from .akeneo.scopes import missing_scopes
from .settings import Settings
{%- if cookiecutter.openid_connect %}
from .storage import BrowserSession, ScopeRequestClaim, Storage, StoredConnection, StoredUser
{%- else %}
from .storage import BrowserSession, ScopeRequestClaim, Storage, StoredConnection
{%- endif %}

logger = logging.getLogger(__name__)

STATE_LIFETIME_SECONDS = 600
MAX_PENDING_AUTHORIZATIONS = 5
"""Connections started in other tabs that may still come back, each with its own state."""
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 4096
"""The App's forms hold one token: a bigger body is refused before it is read."""
SCOPE_REQUEST_INTERVAL = timedelta(minutes=1)
"""The least time between two requests of new scopes to one PIM (each notifies its users)."""
MAX_PIM_MESSAGE_LENGTH = 200
"""The most of a PIM's own message a page quotes: the PIM's words, never the App's."""
Session = MutableMapping[str, Any]


@dataclass(frozen=True)
class ErrorPage:
    status: int
    title: str
    message: str
    next_step: str


class AppError(Exception):
    """A failure shown to the user as a page with a status code and a next step."""

    def __init__(self, page: ErrorPage) -> None:
        super().__init__(page.title)
        self.page = page


UNREADABLE_BODY = ErrorPage(
    400,
    "The request could not be read",
    "Its body was malformed, incomplete or too slow to arrive.",
    "Go back to the home page and try again.",
)
"""A request body the server could not read: malformed, cut short or too slow."""
BODY_TIMEOUT_SECONDS = 10
"""How long a client may take to send a request's body."""


def not_configured(settings: Settings) -> ErrorPage:
    missing = settings.missing_credentials
    if not settings.development:
        # A public page: which setting is missing is for the logs and the administrator.
        return ErrorPage(
            503,
            "The App is not configured yet",
            "The App cannot connect PIMs until its administrator finishes its configuration.",
            "Try again later.",
        )
    return ErrorPage(
        503,
        "The App is not configured yet",
        f"{' and '.join(missing)} {'are' if len(missing) > 1 else 'is'} empty in .env.",
        "Copy the client id and secret of the App declared in your PIM into .env, "
        "then restart the App.",
    )


def app_url(settings: Settings, request_base_url: str) -> str:
    """The App's own URL, without a trailing slash: APP_URL, set outside development.

    Only in development without APP_URL is it the URL the request came to.
    """
    return settings.app_url or request_base_url.rstrip("/")


def misdirected_request(settings: Settings, host: str | None) -> ErrorPage | None:
    """The page refusing a request whose Host is not APP_URL's (outside development), if so.

    A page built for another host name would show links to it.
    """
    if settings.development or not settings.app_url:
        return None
    expected = urlsplit(settings.app_url)
    if _without_default_port(host or "", expected.scheme) == _without_default_port(
        expected.netloc, expected.scheme
    ):
        return None
    logger.warning("Refused a request for the host %.80r: APP_URL is %s", host, settings.app_url)
    return ErrorPage(
        421,
        "This address is not the App's",
        "The request was sent to a host name this App does not serve.",
        "Open the App from your PIM, or at its own address.",
    )


def _without_default_port(host: str, scheme: str) -> str:
    host = host.strip().lower()
    default = ":443" if scheme == "https" else ":80"
    return host.removesuffix(default)


def shown_missing_credentials(settings: Settings) -> list[str]:
    """The settings every page says are missing: in development only (pages are public)."""
    return settings.missing_credentials if settings.development else []


def welcome_context(settings: Settings, base_url: str) -> dict[str, Any]:
    """What the welcome page shows: the configuration as it is, and what is left to do.

    Once the credentials are set, it offers to connect each allowed PIM: the link is the one
    the PIM itself opens when its user clicks Connect. Outside development the page is public:
    it shows the App's two URLs and no configuration.
    """
    configured = not settings.missing_credentials
    activate_url = f"{app_url(settings, base_url)}/activate"
    if not settings.development:
        return {
            "development": False,
            "configured": configured,
            "activate_url": activate_url,
            "callback_url": f"{app_url(settings, base_url)}/callback",
        }
    return {
        "development": True,
        "activate_url": activate_url,
        "callback_url": f"{app_url(settings, base_url)}/callback",
        "env_file": settings.env_file,
        "configured": configured,
        "credentials": {
            "AKENEO_CLIENT_ID": bool(settings.client_id),
            "AKENEO_CLIENT_SECRET": bool(settings.client_secret),
        },
        "pim_urls": settings.allowed_pim_urls,
        "scopes": settings.requested_scopes,
        "connect_links": [
            (pim_url, f"{activate_url}?{urlencode({'pim_url': pim_url})}")
            for pim_url in settings.allowed_pim_urls
        ]
        if configured
        else [],
    }


@dataclass(frozen=True)
class SwitchConfirmation:
    """A browser linked to one PIM was sent to connect another: its user confirms first.

    Otherwise any site (or a hostile PIM) could send the browser through /activate and have it
    come back linked to another PIM, as another user.
    """

    linked_pim_url: str
    new_pim_url: str
    csrf_token: str


def activation_redirect(
    session: Session, raw_pim_url: str | None, settings: Settings, storage: Storage
) -> str | SwitchConfirmation:
    """Where the Activate URL sends the browser: into the App, or to the PIM's consent screen.

    "Connect" and "Open app" both land here. A session already linked to this PIM
    {% if cookiecutter.openid_connect %}(and, with OpenID Connect, to one of its users) {% endif -%}
    goes straight in when the PIM's token is stored.
    """
    if settings.missing_credentials:
        raise AppError(not_configured(settings))
    pim_url = _allowed_pim_url(raw_pim_url or "", settings)
    link = linked_session(session, storage)
    if link is not None and link.pim_url != pim_url:
        return SwitchConfirmation(link.pim_url, pim_url, csrf_token(session))
    # A disconnected PIM, or one asked for new scopes, needs the user's consent again.
{%- if cookiecutter.openid_connect %}
    if (
        link is not None
        and _in_use(storage.get_connection(pim_url))
        and (not settings.openid_connect or _session_user(link, storage) is not None)
    ):
{%- else %}
    if link is not None and _in_use(storage.get_connection(pim_url)):
{%- endif %}
        return "/"
    return _start_authorization(session, pim_url, settings)


def confirmed_switch_redirect(
    session: Session, submitted_token: str | None, raw_pim_url: str | None, settings: Settings
) -> str:
    """The PIM's consent screen, once the user confirmed leaving the PIM this browser is on."""
    check_csrf(session, submitted_token)
    if settings.missing_credentials:
        raise AppError(not_configured(settings))
    return _start_authorization(session, _allowed_pim_url(raw_pim_url or "", settings), settings)


def _start_authorization(session: Session, pim_url: str, settings: Settings) -> str:
    """The consent screen's URL, with a new state kept beside those of other tabs."""
    state = new_state()
    now = time.time()
    others = [pending for pending in _pending(session) if pending["expires_at"] > now]
    session["authorizations"] = [
        *others[-(MAX_PENDING_AUTHORIZATIONS - 1) :],
        {"state": state, "pim_url": pim_url, "expires_at": now + STATE_LIFETIME_SECONDS},
    ]
    return build_authorize_url(pim_url, settings.client_id, settings.requested_scopes, state)


def _pending(session: Session) -> list[dict[str, Any]]:
    pending = session.get("authorizations")
    return pending if isinstance(pending, list) else []


# The error codes of RFC 6749 (4.1.2.1): any other value is a stranger's text, not shown.
AUTHORIZATION_ERRORS = frozenset(
    {
        "invalid_request",
        "unauthorized_client",
        "access_denied",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
    }
)


def callback_exchange(
    session: Session,
    params: Mapping[str, str],
    settings: Settings,
    storage: Storage,
{%- if cookiecutter.openid_connect %}
    public_keys: PublicKeyCache,
{%- endif %}
) -> Protocol:
    """Check the callback's query, then return the protocol that trades its code for a token.

    The web layer runs the protocol with its HTTP client. The code goes to the PIM URL stored
    with this browser's state, never to one taken from the callback's query.
    """
    if settings.missing_credentials:
        raise AppError(not_configured(settings))
    pim_url, code = _redeem_callback(session, params, storage)
    return exchange_code(
        pim_url,
        code,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
{%- if cookiecutter.openid_connect %}
        public_keys=public_keys if settings.openid_connect else None,
{%- endif %}
    )


NOT_STARTED_HERE = ErrorPage(
    403,
    "This connection was not started from this browser",
    "The callback's state does not match an authorization this browser asked for, "
    "or it was already used.",
    "Open the App again from the PIM to start a new connection.",
)


def _redeem_callback(
    session: Session, params: Mapping[str, str], storage: Storage
) -> tuple[str, str]:
    """Check the callback against the states this browser was given; return (PIM URL, code).

    The state is used up whatever happens next, in this cookie and in the database, so a
    replayed callback is refused even with a copy of the cookie saved before it.
    """
    state, code = params.get("state") or "", params.get("code")
    pending = _pending(session)
    matching = [
        authorization
        for authorization in pending
        if state and hmac.compare_digest(str(authorization.get("state")).encode(), state.encode())
    ]
    session["authorizations"] = [other for other in pending if other not in matching]
    if "error" in params:
        raise AppError(_authorization_error_page(params["error"]))
    if not matching:
        raise AppError(NOT_STARTED_HERE)
    authorization = matching[0]
    if time.time() > authorization["expires_at"]:
        raise AppError(
            ErrorPage(
                403,
                "This connection attempt has expired",
                "More than 10 minutes passed since the PIM was asked for consent.",
                "Open the App again from the PIM to start a new connection.",
            )
        )
    expires_at = datetime.fromtimestamp(authorization["expires_at"], UTC)
    if not storage.redeem_state(state, expires_at):
        raise AppError(NOT_STARTED_HERE)
    if not code:
        raise AppError(
            ErrorPage(
                400,
                "The PIM sent no authorization code",
                "The callback URL was called without a code parameter.",
                "Open the App again from the PIM to start a new connection.",
            )
        )
    return authorization["pim_url"], code


def _authorization_error_page(error: str) -> ErrorPage:
    if error == "access_denied":
        return ErrorPage(
            403,
            "The connection was cancelled",
            "The PIM did not authorize the App (access_denied): its user declined. "
            "Nothing was changed.",
            "To connect, open the App again from the PIM and accept the scopes.",
        )
    named = f" ({error})" if error in AUTHORIZATION_ERRORS else ""
    return ErrorPage(
        502,
        "The PIM did not authorize the App",
        f"The PIM sent the browser back with an error{named} instead of an authorization "
        "code. Nothing was changed.",
        "Open the App again from the PIM. If it persists, check the App's scopes "
        "(AKENEO_SCOPES) and client id.",
    )


def remember_connection(
    session: Session, storage: Storage, connection: Connection, settings: Settings
) -> None:
    """Store the PIM's token and link this browser to that PIM (and user) in a new session.

    A new session id on every connection: an id planted in the browser before is never linked.
    """
{%- if cookiecutter.openid_connect %}
    user_id = storage.save_connection(connection)
{%- else %}
    storage.save_connection(connection)
{%- endif %}
    _end_session(session, storage)
    # A new form token too: one read before connecting (by a page or a script) is of no use.
    session.pop(CSRF_FIELD, None)
    session["session_id"] = storage.start_session(
        connection.pim_url,
{%- if cookiecutter.openid_connect %}
        user_id,
{%- endif %}
        settings.session_lifetime,
    )
    logger.info("Connected %s with scopes: %s", connection.pim_url, " ".join(connection.scopes))


def home_context(session: Session, settings: Settings, storage: Storage) -> dict[str, Any]:
    """What the home page shows: the PIM of this browser and its state, or nothing (welcome)."""
    link = linked_session(session, storage)
    connection = storage.get_connection(link.pim_url) if link is not None else None
    context: dict[str, Any] = {
        "connection": connection,
        "missing_scopes": missing_scopes(settings.scopes, connection.scopes) if connection else (),
        "scopes_already_requested": connection is not None
        and _already_requested(connection, settings.scopes),
        "csrf_token": csrf_token(session),
    }
{%- if cookiecutter.openid_connect %}
    context["user"] = _session_user(link, storage) if link is not None else None
{%- endif %}
    return context


def connected_pim(session: Session, storage: Storage) -> Connection:
    """The PIM this browser is connected to, with its token, for calling its API.

    Raises an `AppError` saying how to connect when the browser is not linked to a PIM, or
    when that PIM disconnected the App.
    """
    link = linked_session(session, storage)
    stored = storage.get_connection(link.pim_url) if link is not None else None
    if stored is None:
        raise AppError(
            ErrorPage(
                401,
                "This browser is not connected to a PIM",
                "The App calls a PIM's API for the PIM user who opened it, and this browser "
                "has not opened the App from a PIM yet, logged out, or its session expired.",
                "In your PIM, open Connect > Connected apps and click Open app "
                "(or Connect on a new App); you then come back here.",
            )
        )
    if stored.disconnected_at is not None:
        raise AppError(disconnected_page(stored.pim_url))
    if stored.token_unreadable:
        raise AppError(token_unreadable_page(stored.pim_url))
    return Connection(stored.pim_url, stored.access_token, stored.scopes)


def scope_request(
    session: Session, submitted_token: str | None, settings: Settings, storage: Storage
) -> tuple[Connection, tuple[str, ...]]:
    """Check the scope request form; return the connection and every scope to ask the PIM for.

    The PIM is told all the authorization scopes the App needs, not only the missing ones.
    """
    check_csrf(session, submitted_token)
    connection = connected_pim(session, storage)
    if not missing_scopes(settings.scopes, connection.scopes):
        raise AppError(
            ErrorPage(
                409,
                "No scope is missing",
                "The PIM already granted every scope in AKENEO_SCOPES.",
                "Go back to the home page.",
            )
        )
    claim = storage.claim_scope_request(connection.pim_url, settings.scopes, SCOPE_REQUEST_INTERVAL)
    if claim is ScopeRequestClaim.ALREADY_REQUESTED:
        raise AppError(
            ErrorPage(
                409,
                "The PIM was already asked for these scopes",
                "The App asked the PIM for them before; asking again would notify the PIM's "
                "users again.",
                "Open the App from the PIM: the PIM asks you to accept the new scopes.",
            )
        )
    if claim is ScopeRequestClaim.TOO_SOON:
        raise AppError(
            ErrorPage(
                429,
                "The PIM was asked for scopes a moment ago",
                "The App asks a PIM for new scopes at most once a minute.",
                "Wait a minute, then try again from the home page.",
            )
        )
    return connection, settings.scopes


def _already_requested(connection: StoredConnection, scopes: tuple[str, ...]) -> bool:
    return connection.scopes_requested_at is not None and connection.requested_scopes == scopes


def linked_session(session: Session, storage: Storage) -> BrowserSession | None:
    """The PIM{% if cookiecutter.openid_connect %} (and user){% endif %} this browser is linked to, unless it logged out or its session expired."""
    session_id = session.get("session_id")
    return storage.get_session(session_id) if isinstance(session_id, str) else None


def logout(session: Session, submitted_token: str | None, storage: Storage) -> None:
    """End this browser's session, in the database too: a copied cookie is logged out as well."""
    check_csrf(session, submitted_token)
    _end_session(session, storage)
    session.clear()


def _end_session(session: Session, storage: Storage) -> None:
    session_id = session.pop("session_id", None)
    if isinstance(session_id, str):
        storage.end_session(session_id)


def csrf_token(session: Session) -> str:
    """This session's token for the App's forms (made once per session, kept in the cookie)."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or not token:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def check_csrf(session: Session, submitted: str | None) -> None:
    """Refuse a form that does not carry this session's token (another site's forged POST)."""
    expected = session.get(CSRF_FIELD)
    if not (
        isinstance(expected, str)
        and expected
        and submitted
        and hmac.compare_digest(expected.encode(), submitted.encode())
    ):
        raise AppError(
            ErrorPage(
                403,
                "This form was not sent from the App's page",
                "The form's security token is missing or does not match this browser's.",
                "Go back to the home page, reload it, and try again.",
            )
        )


def disconnected_page(pim_url: str) -> ErrorPage:
    return ErrorPage(
        401,
        "The App was disconnected from the PIM",
        f"{pim_url} no longer accepts the App's token: a PIM user disconnected the App. "
        "The connection is kept, marked disconnected.",
        "Connect again: in the PIM, click Connect on the App (Connect > App Store), "
        "or open this App's Activate URL for that PIM, and accept the scopes.",
    )


def token_unreadable_page(pim_url: str) -> ErrorPage:
    return ErrorPage(
        409,
        "The connection to the PIM needs reconnecting",
        f"The App can no longer read the token it stored for {pim_url}: no key in "
        "TOKEN_ENCRYPTION_KEYS decrypts it.",
        "Connect again: open this App's Activate URL for that PIM (or click Open app in the "
        "PIM) and accept the scopes. An administrator can instead put the old key back in "
        "TOKEN_ENCRYPTION_KEYS.",
    )


def _in_use(connection: StoredConnection | None) -> bool:
    return (
        connection is not None
        and connection.disconnected_at is None
        and connection.scopes_requested_at is None
        and not connection.token_unreadable
    )
{%- if cookiecutter.openid_connect %}


def _session_user(link: BrowserSession, storage: Storage) -> StoredUser | None:
    user = storage.get_user(link.user_id) if link.user_id is not None else None
    # A session is only ever trusted for the PIM it was linked to.
    return user if user is not None and user.pim_url == link.pim_url else None
{%- endif %}


def error_page(error: AkeneoError) -> ErrorPage:
    """The page for a failure of the Akeneo protocol."""
    if isinstance(error, InvalidPimUrl):
        return ErrorPage(
            400,
            "This PIM URL cannot be used",
            f"The pim_url parameter was refused: {error}.",
            "Open the App from your PIM's App Store or Connected apps page.",
        )
    if isinstance(error, PimRefused):
        return ErrorPage(
            502,
            "The PIM refused the connection",
            f"The PIM answered: {error}.",
            _refusal_advice(error),
        )
    if isinstance(error, PimDisconnected):
        return disconnected_page(error.pim_url)
    if isinstance(error, MissingScope):
        missing = ", ".join(error.missing_scopes)
        return ErrorPage(
            403,
            "The App lacks a scope for this",
            "The PIM refused the call: a scope is missing."
            + (f" {pim_said(error.message)}" if error.message else "")
            + (f" Scopes the App asks for but was not granted: {missing}." if missing else ""),
            "Ask the PIM for the missing scopes from the home page, then open the App "
            "from the PIM again and accept them.",
        )
    if isinstance(error, PimNotFound):
        return ErrorPage(
            404,
            "The PIM has no such item",
            pim_said(error.message) if error.message else "The PIM answered HTTP 404.",
            "Go back to the home page.",
        )
    if isinstance(error, PimBusy):
        asked = error.retry_after
        wait = f"{asked:.0f} seconds" if asked is not None and asked >= 1 else "a minute"
        return ErrorPage(
            503,
            "The PIM is busy",
            f"The PIM asked the App to slow down: {error}.",
            f"Wait {wait}, then reload the page.",
        )
    if isinstance(error, PimApiError):
        return _api_error_page(error)
    if isinstance(error, ListTooLong):
        return ErrorPage(
            500,
            "The list is too long for one page",
            f"The App stopped reading: {error}. Nothing was changed.",
            "Show the list a page at a time (following the PIM's next link, as the Products "
            "page does), or read it in a background job with iter_items.",
        )
    if isinstance(error, PimTimeout):
        return ErrorPage(
            504,
            "The PIM did not answer in time",
            f"{error}. Nothing was changed.",
            "Wait a moment, then open the App again from the PIM.",
        )
    if isinstance(error, PimUnreachable):
        return ErrorPage(
            502,
            "The PIM could not be reached",
            f"{error}. Nothing was changed.",
            "Check that the PIM is up, then open the App again from the PIM.",
        )
{%- if cookiecutter.openid_connect %}
    if isinstance(error, InvalidIdToken):
        return ErrorPage(
            502,
            "The PIM user could not be identified",
            f"The PIM's identity token was refused: {error}. Nothing was stored.",
            "Open the App again from the PIM. If it persists, check AKENEO_CLIENT_ID in .env.",
        )
{%- endif %}
    assert isinstance(error, PimBadResponse)
    return ErrorPage(
        502,
        "The PIM sent an unexpected answer",
        f"The PIM's answer could not be read: {error}. Nothing was changed.",
        "Open the App again from the PIM. If it persists, check that pim_url is a PIM.",
    )


def _api_error_page(error: PimApiError) -> ErrorPage:
    """A refusal of the PIM, with its own words (escaped by the page, quoted and capped)."""
    said = pim_said(error.message) if error.message else "The PIM gave no reason."
    reasons = "; ".join(
        f"{item.attribute or item.property}: {item.message.rstrip('.')}"
        for item in error.errors[:5]
    )
    if isinstance(error, PimValidationFailed):
        return ErrorPage(
            422,
            "The PIM refused the data sent",
            f"{said} {reasons + '.' if reasons else ''}".strip(),
            "Correct the values named above (the request's data, not the connection), "
            "then try again.",
        )
    if isinstance(error, CatalogUnavailable):
        return ErrorPage(
            409,
            "The catalog cannot be read yet",
            said,
            "A PIM user enables the catalog (and its mapping) in the PIM's Connected apps "
            "page, then this page can be reloaded.",
        )
    if error.status >= 500:
        return ErrorPage(
            502,
            "The PIM failed to answer",
            f"The PIM answered HTTP {error.status}. {said} Nothing was changed.",
            "Wait a moment, then try again; if it persists, tell the PIM's administrator.",
        )
    return ErrorPage(
        502,
        "The PIM refused the App's request",
        f"The PIM answered HTTP {error.status}. {said}",
        "The App's request does not suit this PIM: its developer can check the method, "
        "headers and body against the PIM's API reference.",
    )


def _allowed_pim_url(raw_pim_url: str, settings: Settings) -> str:
    pim_url = normalize_pim_url(raw_pim_url, allow_http_loopback=settings.development)
    if settings.allowed_pim_urls and not is_allowed(pim_url, settings.allowed_pim_urls):
        raise InvalidPimUrl(
            f"{pim_url} is not one of the PIMs this App serves (AKENEO_ALLOWED_PIM_URLS)"
        )
    # Only a PIM listed exactly may be on a private address (an on-premise PIM); host names
    # are checked again for the address dialled, on every call.
    listed = pim_url in settings.allowed_pim_urls
    if not settings.development and not listed and not has_public_host(pim_url):
        raise InvalidPimUrl("the URL's host is not a public address")
    return pim_url


def pim_said(message: str) -> str:
    """A PIM's own words, quoted and attributed, on one line and cut to a length cap."""
    words = " ".join(message.split())
    if len(words) > MAX_PIM_MESSAGE_LENGTH:
        words = words[: MAX_PIM_MESSAGE_LENGTH - 1].rstrip() + "…"
    return f"The PIM said: “{words}”"


def _refusal_advice(error: PimRefused) -> str:
    if error.error == "invalid_grant":
        return (
            "Authorization codes are valid for 30 seconds and for one use: "
            "open the App again from the PIM to get a new one."
        )
    if error.error == "invalid_client":
        return (
            "Check that AKENEO_CLIENT_ID and AKENEO_CLIENT_SECRET in .env are those of the App "
            "declared in this PIM, restart the App, then connect again."
        )
    return "Open the App again from the PIM. If it persists, check the App's configuration."
