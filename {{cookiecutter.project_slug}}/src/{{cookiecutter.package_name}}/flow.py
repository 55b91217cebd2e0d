"""What the App's pages do, written once for any web framework.

The web layer passes the browser session (a signed cookie, as a mutable mapping), the settings and
the storage; these functions decide and raise `AppError`s that the web layer renders as pages.
"""

import hmac
import logging
import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .akeneo.errors import (
    AkeneoError,
{%- if cookiecutter.openid_connect %}
    InvalidIdToken,
{%- endif %}
    InvalidPimUrl,
    PimBadResponse,
    PimRefused,
    PimTimeout,
    PimUnreachable,
)
from .akeneo.exchange import Connection, Protocol, exchange_code
from .akeneo.oauth import build_authorize_url, new_state
{%- if cookiecutter.openid_connect %}
from .akeneo.openid import PublicKeyCache
{%- endif %}
from .akeneo.pim_url import normalize_pim_url
from .settings import Settings
{%- if cookiecutter.openid_connect %}
from .storage import Storage, StoredUser
{%- else %}
from .storage import Storage
{%- endif %}

logger = logging.getLogger(__name__)

STATE_LIFETIME_SECONDS = 600
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


def not_configured(settings: Settings) -> ErrorPage:
    missing = settings.missing_credentials
    return ErrorPage(
        503,
        "The App is not configured yet",
        f"{' and '.join(missing)} {'are' if len(missing) > 1 else 'is'} empty in .env.",
        "Copy the client id and secret of the App declared in your PIM into .env, "
        "then restart the App.",
    )


def welcome_context(settings: Settings, activate_url: str, callback_url: str) -> dict[str, Any]:
    """What the welcome page shows: the configuration as it is, and what is left to do.

    Once the credentials are set, it offers to connect each allowed PIM: the link is the one
    the PIM itself opens when its user clicks Connect.
    """
    configured = not settings.missing_credentials
    return {
        "activate_url": activate_url,
        "callback_url": callback_url,
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


def activation_redirect(
    session: Session, raw_pim_url: str | None, settings: Settings, storage: Storage
) -> str:
    """Where the Activate URL sends the browser: into the App, or to the PIM's consent screen.

    "Connect" and "Open app" both land here. A session already linked to this PIM
    {% if cookiecutter.openid_connect %}(and, with OpenID Connect, to one of its users) {% endif -%}
    goes straight in when the PIM's token is stored.
    """
    if settings.missing_credentials:
        raise AppError(not_configured(settings))
    pim_url = _allowed_pim_url(raw_pim_url or "", settings)
    linked = session.get("pim_url") == pim_url and storage.get_connection(pim_url) is not None
{%- if cookiecutter.openid_connect %}
    if linked and (not settings.openid_connect or _session_user(session, storage) is not None):
{%- else %}
    if linked:
{%- endif %}
        return "/"
    state = new_state()
    session["authorization"] = {
        "state": state,
        "pim_url": pim_url,
        "expires_at": time.time() + STATE_LIFETIME_SECONDS,
    }
    return build_authorize_url(pim_url, settings.client_id, settings.requested_scopes, state)


def callback_exchange(
    session: Session,
    state: str | None,
    code: str | None,
    settings: Settings,
{%- if cookiecutter.openid_connect %}
    public_keys: PublicKeyCache,
{%- endif %}
) -> Protocol:
    """Check the callback, then return the protocol that trades its code for the PIM's token.

    The web layer runs the protocol with its HTTP client. The code goes to the PIM URL stored
    with this browser's state, never to one taken from the callback's query.
    """
    if settings.missing_credentials:
        raise AppError(not_configured(settings))
    pim_url, code = _redeem_callback(session, state, code)
    return exchange_code(
        pim_url,
        code,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
{%- if cookiecutter.openid_connect %}
        public_keys=public_keys if settings.openid_connect else None,
{%- endif %}
    )


def _redeem_callback(session: Session, state: str | None, code: str | None) -> tuple[str, str]:
    """Check the callback against the state this browser was given; return (PIM URL, code).

    The state is used up whatever happens next, so a replayed callback is refused.
    """
    pending = session.pop("authorization", None)
    expected = pending.get("state", "") if isinstance(pending, dict) else ""
    if not state or not expected or not hmac.compare_digest(expected.encode(), state.encode()):
        raise AppError(
            ErrorPage(
                403,
                "This connection was not started from this browser",
                "The callback's state does not match an authorization this browser asked for, "
                "or it was already used.",
                "Open the App again from the PIM to start a new connection.",
            )
        )
    if time.time() > pending["expires_at"]:
        raise AppError(
            ErrorPage(
                403,
                "This connection attempt has expired",
                "More than 10 minutes passed since the PIM was asked for consent.",
                "Open the App again from the PIM to start a new connection.",
            )
        )
    if not code:
        raise AppError(
            ErrorPage(
                400,
                "The PIM sent no authorization code",
                "The callback URL was called without a code parameter.",
                "Open the App again from the PIM to start a new connection.",
            )
        )
    return pending["pim_url"], code


def remember_connection(session: Session, storage: Storage, connection: Connection) -> None:
    """Store the PIM's token and link this browser session to that PIM (and user)."""
{%- if cookiecutter.openid_connect %}
    user_id = storage.save_connection(connection)
    session.clear()
    session["pim_url"] = connection.pim_url
    if user_id is not None:
        session["user_id"] = user_id
{%- else %}
    storage.save_connection(connection)
    session.clear()
    session["pim_url"] = connection.pim_url
{%- endif %}
    logger.info("Connected %s with scopes: %s", connection.pim_url, " ".join(connection.scopes))


def home_context(session: Session, storage: Storage) -> dict[str, Any]:
    """What the home page shows: the connected PIM, or nothing (the welcome page)."""
    pim_url = session.get("pim_url")
    connection = storage.get_connection(pim_url) if isinstance(pim_url, str) else None
{%- if cookiecutter.openid_connect %}
    return {"connection": connection, "user": _session_user(session, storage)}
{%- else %}
    return {"connection": connection}
{%- endif %}
{%- if cookiecutter.openid_connect %}


def _session_user(session: Session, storage: Storage) -> StoredUser | None:
    user_id = session.get("user_id")
    user = storage.get_user(user_id) if isinstance(user_id, int) else None
    # A session is only ever trusted for the PIM it was linked to.
    return user if user is not None and user.pim_url == session.get("pim_url") else None
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


def _allowed_pim_url(raw_pim_url: str, settings: Settings) -> str:
    pim_url = normalize_pim_url(raw_pim_url, allow_http_loopback=settings.development)
    if settings.allowed_pim_urls and pim_url not in settings.allowed_pim_urls:
        raise InvalidPimUrl(
            f"{pim_url} is not one of the PIMs this App serves (AKENEO_ALLOWED_PIM_URLS)"
        )
    return pim_url


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
