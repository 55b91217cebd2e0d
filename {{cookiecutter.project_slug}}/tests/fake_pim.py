"""A fake Akeneo PIM for the App's offline tests.

It mimics, from the App's point of view, what a real PIM does (see the Apps "Connectivity" bundle):
the authorization request and its PIM error screens, the token endpoint with its exact error
bodies and check order, 30-second single-use codes, one access token per set of granted scopes
{%- if cookiecutter.openid_connect %},
the OpenID Connect id_token and the public-key endpoint serving an X.509 certificate
{%- endif %}.
The REST API the App calls with its token is ``fake_catalog``: a seeded catalogue (channels,
attributes, families, categories, product models, products, media files, Catalogs for Apps) with
the PIM's shapes, filters, pagination, scope checks and error wordings. Around it: the scope
update request and the 401, 429 and 503 answers with the PIM's own bodies.

Use it in-process through ``httpx.Client(transport=pim_transport(pim))`` (or ``AsyncClient``),
or over real HTTP on loopback with ``serve()`` or::

    python3 -m tests.fake_pim --port 8081 --client-id ID --client-secret SECRET \\
        --callback-url http://127.0.0.1:8000/callback

where ``POST /_fake/revoke`` with the printed ``X-Fake-Pim-Token`` header disconnects the App
as a PIM user would (a custom header: no other site can make a browser send it).
``pim_simulator.py`` adds
the PIM's browser pages around it: the App Store card, the consent screen, Disconnect
(``python3 -m tests.pim_simulator``).
"""

import argparse
import asyncio
import base64
import dataclasses
import hashlib
import html
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
{%- if cookiecutter.openid_connect %}
from datetime import UTC, datetime, timedelta
from functools import cache
{%- endif %}
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
{%- if cookiecutter.openid_connect %}
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
{%- endif %}

from tests.fake_catalog import DEFAULT_PRODUCTS, DEFAULT_SEED, CatalogApi, Catalogue

TOKEN_PATH = "/connect/apps/v1/oauth2/token"
AUTHORIZE_PATH = "/connect/apps/v1/authorize"
CHANNELS_PATH = "/api/rest/v1/channels"
SCOPES_UPDATE_PATH = "/connect/apps/v1/scopes/update"
REVOKE_PATH = "/_fake/revoke"
"""Not a PIM route: disconnects the App when the fake runs over HTTP (see ``revoke``)."""
CONTROL_HEADER = "X-Fake-Pim-Token"
"""The header that ``/_fake/*`` requests carry with ``FakePim.control_token``."""
{%- if cookiecutter.openid_connect %}
PUBLIC_KEY_PATH = "/connect/apps/v1/openid/public-key"
{%- endif %}

CODE_LIFETIME_SECONDS = 30
MAX_SCOPE_LENGTH = 1000
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
# How often a server thread looks whether it is asked to stop: `shutdown()` waits up to this long.
SHUTDOWN_POLL_SECONDS = 0.02

UNKNOWN_TOKEN = "The access token provided is invalid."
REVOKED_TOKEN = (
    "The access token provided is invalid. Your app has been disconnected from that PIM."
)
FORBIDDEN_CHANNELS = "Access forbidden. You are not allowed to list channels."
NOT_FOUND = "Resource not found"
{%- if cookiecutter.openid_connect %}
ID_TOKEN_LIFETIME_SECONDS = 3600
{%- endif %}

_PIM_SCOPES = """
    read_products write_products delete_products read_catalog_structure write_catalog_structure
    read_attribute_options write_attribute_options read_categories write_categories
    read_channel_localization read_channel_settings write_channel_settings read_association_types
    write_association_types read_catalogs write_catalogs delete_catalogs
    read_asset_families write_asset_families read_assets write_assets delete_assets
    read_reference_entities write_reference_entities read_reference_entity_records
    write_reference_entity_records read_workflows read_workflow_step_assignees read_workflow_tasks
    write_workflow_tasks create_suggestions read_suggestions manage_suggestions
"""

AUTHORIZATION_SCOPES: frozenset[str] = frozenset(_PIM_SCOPES.split())
"""Authorization scopes the PIM knows (Community and Enterprise Edition); others are dropped."""
{%- if cookiecutter.openid_connect %}

AUTHENTICATION_SCOPES: frozenset[str] = frozenset({"openid", "profile", "email"})
"""OpenID Connect scopes: they ask for an id_token about the consenting user."""

KNOWN_SCOPES: frozenset[str] = AUTHORIZATION_SCOPES | AUTHENTICATION_SCOPES
{%- else %}

KNOWN_SCOPES: frozenset[str] = AUTHORIZATION_SCOPES
{%- endif %}

_ERROR_SCREEN = re.compile(r'<p class="error">(.*?)</p>', re.DOTALL)


@dataclass
class FakeUser:
    """The PIM user who goes through the consent screen."""

    first_name: str = "Julia"
    last_name: str = "Stark"
    email: str = "julia@example.com"
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    """The PIM's internal user id (never shown to the App as such)."""


@dataclass(frozen=True)
class _Consent:
    """What the PIM records behind an authorization code: scopes, user and issue time."""

    scopes: frozenset[str]
    user: FakeUser
    issued_at: float


Handler = Callable[[httpx.Request], httpx.Response]


class FakePim:
    """One PIM in which one App (``client_id``) is registered with its callback URL.

    ``handle()`` is the whole PIM: it routes a request by path and method. The fake clock is the
    real clock plus whatever ``advance()`` added, so codes and tokens carry realistic times.
    """

    def __init__(
        self,
        url: str,
        *,
        client_id: str,
        client_secret: str,
        callback_url: str,
        products: int = DEFAULT_PRODUCTS,
        seed: int = DEFAULT_SEED,
    ) -> None:
        self.url = url
        self.client_id = client_id
        self.client_secret = client_secret
        self.callback_url = callback_url
        self.user = FakeUser()
        self.requests: list[httpx.Request] = []
        self.overrides: dict[str, httpx.Response | Exception] = {}
        self.next_answers: dict[str, list[httpx.Response | Exception]] = {}
        self._clock_offset = 0.0
        self._codes: dict[str, _Consent] = {}
        self._tokens: dict[str, frozenset[str]] = {}
        self._revoked: set[str] = set()
        self.api = CatalogApi(self, seed=seed, products=products)
        """The REST API and its catalogue, built on first use (``products`` of them)."""
        self.control_token = secrets.token_urlsafe(24)
        """What ``/_fake/*`` requests carry in the ``X-Fake-Pim-Token`` header."""
        self.withheld_scopes: set[str] = set()
        """Scopes the consenting user does not grant, whatever the App asks for."""
        self.scope_requests: list[httpx.Request] = []
        self.answer_delay = 0.0
        """Seconds every answer waits (a slow PIM), in-process and over HTTP."""
        self.max_in_flight = 0
        """The most requests this PIM was answering at once (delayed answers overlap)."""
        self._in_flight = 0
        self._in_flight_lock = threading.Lock()
        {%- if cookiecutter.openid_connect %}
        self.last_id_token_claims: dict[str, object] | None = None
        self._private_key = _shared_private_key()
        self._certificate_pem = self_signed_certificate_pem(self._private_key)
        {%- endif %}
        self._routes: dict[str, dict[str, Handler]] = {
            AUTHORIZE_PATH: {"GET": self._authorize},
            TOKEN_PATH: {"POST": self._token},
            SCOPES_UPDATE_PATH: {"POST": self._scopes_update},
            REVOKE_PATH: {"POST": self._revoke},
            {%- if cookiecutter.openid_connect %}
            PUBLIC_KEY_PATH: {"GET": self._public_key},
            {%- endif %}
        }

    # -- test controls -------------------------------------------------------------------------

    @property
    def catalogue(self) -> Catalogue:
        """Everything the REST API serves; tests read and change it directly."""
        return self.api.catalogue

    @catalogue.setter
    def catalogue(self, catalogue: Catalogue) -> None:
        self.api.catalogue = catalogue

    @property
    def channels(self) -> list[dict[str, object]]:
        """The channels, in the order ``GET /api/rest/v1/channels`` lists them."""
        return list(self.catalogue.channels.values())

    @channels.setter
    def channels(self, channels: list[dict[str, object]]) -> None:
        self.catalogue.channels = {str(channel["code"]): channel for channel in channels}

    def now(self) -> float:
        """The fake's clock: real time plus everything ``advance()`` added."""
        return time.time() + self._clock_offset

    def advance(self, seconds: float) -> None:
        {%- if cookiecutter.openid_connect %}
        """Move the fake's clock forward (authorization codes expire after 30 seconds).

        id_token times follow this clock: after advancing, ``iat`` is ahead of real time.
        """
        {%- else %}
        """Move the fake's clock forward (authorization codes expire after 30 seconds)."""
        {%- endif %}
        if seconds < 0:
            raise ValueError("the fake PIM's clock only moves forward")
        self._clock_offset += seconds

    def grant(self, scopes: tuple[str, ...]) -> str:
        """The access token the PIM gives when a user consents to ``scopes`` (known ones only)."""
        return self._access_token_for(frozenset(scopes) & KNOWN_SCOPES)

    def revoke(self) -> None:
        """Disconnect the App, as a PIM user does in Connect > Connected apps.

        Its tokens stop working: the API answers 401 "...disconnected from that PIM". A new
        consent gives a new token.
        """
        self._revoked.update(self._tokens)
        self._tokens.clear()

    def saved_state(self) -> dict[str, object]:
        """What a restart must keep besides the catalogue: tokens (the App's stays valid),
        disconnected ones (they still answer "disconnected") and the signed-in user."""
        return {
            "tokens": {token: sorted(scopes) for token, scopes in self._tokens.items()},
            "revoked": sorted(self._revoked),
            "user": dataclasses.asdict(self.user),
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        """Take back a ``saved_state()``."""
        self._tokens = {token: frozenset(scopes) for token, scopes in state["tokens"].items()}
        self._revoked = set(state["revoked"])
        self.user = FakeUser(**state["user"])

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Count a request as in flight while the block runs, keeping ``max_in_flight``."""
        with self._in_flight_lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._in_flight_lock:
                self._in_flight -= 1

    @property
    def tokens(self) -> dict[str, str]:
        """Currently valid access tokens, each with its granted scope string."""
        return {token: _scope_string(scopes) for token, scopes in self._tokens.items()}

    def authorize(self, authorize_url: str) -> str:
        """Walk the consent screen for ``authorize_url`` and return where the PIM redirects.

        Returns the Location of the 302 (the callback URL with ``code`` and ``state``). Raises
        AssertionError with the PIM's message if the PIM shows an error screen instead.
        """
        request = httpx.Request("GET", authorize_url)
        if _origin(request.url) != _origin(httpx.URL(self.url)):
            raise AssertionError(f"{authorize_url} does not point at the PIM {self.url}")
        response = self.handle(request)
        if response.status_code == 302:
            return response.headers["Location"]
        response.read()
        match = _ERROR_SCREEN.search(response.text)
        message = html.unescape(match.group(1)) if match else response.text
        raise AssertionError(f"the PIM shows an error ({response.status_code}): {message}")
    {%- if cookiecutter.openid_connect %}

    def rotate_key(self) -> None:
        """Regenerate the signing key pair and certificate, as the PIM does regularly."""
        self._private_key = _new_private_key()
        self._certificate_pem = self_signed_certificate_pem(self._private_key)

    def sign_id_token(
        self,
        claims_overrides: dict[str, object] | None = None,
        *,
        key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        """The id_token the PIM would issue now for ``self.user`` (openid profile email).

        For tests crafting bad tokens: ``claims_overrides`` replaces claims (a value of None
        removes the claim), ``key`` signs with another private key. Does not touch
        ``last_id_token_claims``.
        """
        claims = self._id_token_claims(self.user, AUTHENTICATION_SCOPES)
        for name, value in (claims_overrides or {}).items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return _sign(claims, key or self._private_key)
    {%- endif %}

    # -- the PIM -------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request like the PIM: log it, apply an override, else route it.

        ``next_answers[path]`` are used once each, in order; ``overrides[path]`` every time.
        """
        self.requests.append(request)
        path = request.url.path
        if self.next_answers.get(path):
            return _replay(self.next_answers[path].pop(0))
        override = self.overrides.get(path)
        if override is not None:
            return _replay(override)
        methods = self._routes.get(path)
        if methods is None:
            return self._api(request)
        handler = methods.get(request.method)
        if handler is None:
            allowed = ", ".join(methods)
            message = f'No route found for "{request.method} {path}": Method Not Allowed'
            return _json(405, {"code": 405, "message": f"{message} (Allow: {allowed})"})
        return handler(request)

    def _authorize(self, request: httpx.Request) -> httpx.Response:
        """The consent screen, accepted at once: redirect to the callback with a code.

        Errors show a PIM screen (HTTP 400 HTML): the App's callback never gets ``error=``.
        """
        error = self.authorization_error(request.url.params)
        if error is not None:
            return _error_screen(error)
        return httpx.Response(302, headers={"Location": self.consent(request.url.params)})

    def authorization_error(self, params: httpx.QueryParams) -> str | None:
        """What the PIM's error screen says about an authorization request; None if valid."""
        client_id = params.get("client_id", "")
        if not client_id:
            return "The client_id is missing."
        if client_id != self.client_id:
            return "The client_id is not valid: no App is registered with it."
        if params.get("response_type") != "code":
            return 'The response_type must be "code".'
        if len(params.get("scope", "")) > MAX_SCOPE_LENGTH:
            return f"The scope is too long ({MAX_SCOPE_LENGTH} characters at most)."
        return None

    def granted_scopes(self, params: httpx.QueryParams) -> frozenset[str]:
        """What the user grants: the requested scopes the PIM knows, less the withheld ones."""
        return frozenset(params.get("scope", "").split()) & KNOWN_SCOPES - self.withheld_scopes

    def consent(self, params: httpx.QueryParams) -> str:
        """Record ``self.user``'s consent to a valid authorization request; return the callback.

        The callback URL carries a fresh code and the request's ``state`` unchanged.
        Unknown scopes are silently dropped; ``redirect_uri`` is ignored.
        """
        code = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]
        self._codes[code] = _Consent(self.granted_scopes(params), replace(self.user), self.now())
        query = {"code": code}
        if "state" in params:
            query["state"] = params["state"]
        separator = "&" if "?" in self.callback_url else "?"
        return f"{self.callback_url}{separator}{urlencode(query)}"

    @property
    def connected(self) -> bool:
        """Whether the App holds a working token (it connected and was not disconnected since)."""
        return bool(self._tokens)

    @property
    def connection_scopes(self) -> frozenset[str] | None:
        """The scopes of the App's working token; None when it is not connected."""
        return next(iter(self._tokens.values()), None)

    @property
    def disconnected(self) -> bool:
        """Whether a PIM user disconnected the App and it has not connected again."""
        return bool(self._revoked) and not self._tokens

    def _token(self, request: httpx.Request) -> httpx.Response:
        """Exchange a code for an access token (form-encoded, no authentication)."""
        form = {
            name: value
            for name, value in parse_qsl(request.content.decode(errors="replace"))
            if value
        }
        error = self._token_error(form)
        if error is not None:
            return _json(400, error)
        consent = self._codes.pop(form["code"])
        body: dict[str, object] = {
            "access_token": self._access_token_for(consent.scopes),
            "token_type": "bearer",
            "scope": _scope_string(consent.scopes),
        }
        {%- if cookiecutter.openid_connect %}
        if "openid" in consent.scopes:
            claims = self._id_token_claims(consent.user, consent.scopes)
            self.last_id_token_claims = claims
            body["id_token"] = _sign(claims, self._private_key)
        {%- endif %}
        return _json(200, body)

    def _token_error(self, form: dict[str, str]) -> dict[str, str] | None:
        """The body of the first failed check, in the PIM's order; None if all pass."""
        client_id = form.get("client_id")
        identifier = form.get("code_identifier")
        challenge = form.get("code_challenge")
        if (
            client_id
            and identifier
            and challenge
            and not self._challenge_matches(client_id, identifier, challenge)
        ):
            return {"error": "invalid_client"}
        if not client_id:
            return {"error": "invalid_request"}
        if client_id != self.client_id:
            return {"error": "invalid_client"}
        code = form.get("code")
        if not code:
            return {"error": "invalid_request"}
        consent = self._codes.get(code)
        if consent is None:
            return {"error": "invalid_grant", "error_description": "Code is not valid"}
        if self.now() - consent.issued_at > CODE_LIFETIME_SECONDS:
            return {"error": "invalid_grant", "error_description": "Code has expired"}
        if form.get("grant_type") != "authorization_code":
            return {"error": "unsupported_grant_type"}
        if not identifier or not challenge:
            return {"error": "invalid_request"}
        return None

    def _challenge_matches(self, client_id: str, identifier: str, challenge: str) -> bool:
        """sha256(code_identifier + client_secret) in lowercase hex, for the known App only."""
        if client_id != self.client_id:
            return False
        expected = hashlib.sha256((identifier + self.client_secret).encode()).hexdigest()
        return secrets.compare_digest(expected, challenge)

    def _access_token_for(self, scopes: frozenset[str]) -> str:
        """Same scopes: the same token. Changed scopes: the old token is deleted, a new one made."""
        for token, granted in self._tokens.items():
            if granted == scopes:
                return token
        self._tokens.clear()
        token = base64.urlsafe_b64encode(secrets.token_hex(32).encode()).decode().rstrip("=")
        self._tokens[token] = scopes
        return token

    def _bearer_scopes(self, request: httpx.Request) -> frozenset[str] | httpx.Response:
        """The scopes of the request's Bearer token, or the PIM's 401 answer."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self._tokens:
            message = REVOKED_TOKEN if token in self._revoked else UNKNOWN_TOKEN
            return _json(401, {"code": 401, "message": message})
        return self._tokens[token]

    def _api(self, request: httpx.Request) -> httpx.Response:
        """The REST API, for a request with a valid token; 404 for any other path."""
        if not request.url.path.startswith("/api/"):
            return _json(404, {"code": 404, "message": NOT_FOUND})
        scopes = self._bearer_scopes(request)
        if isinstance(scopes, httpx.Response):
            return scopes
        answer = self.api.handle(request, scopes)
        return answer or _json(404, {"code": 404, "message": NOT_FOUND})

    def _scopes_update(self, request: httpx.Request) -> httpx.Response:
        """The App asks for new scopes: recorded (the PIM notifies its users), answered "Ok"."""
        scopes = self._bearer_scopes(request)
        if isinstance(scopes, httpx.Response):
            return scopes
        self.scope_requests.append(request)
        return _json(200, "Ok")

    def _revoke(self, request: httpx.Request) -> httpx.Response:
        given = request.headers.get(CONTROL_HEADER, "")
        if not secrets.compare_digest(given.encode(), self.control_token.encode()):
            message = f"Send the fake PIM's control token in the {CONTROL_HEADER} header."
            return _json(403, {"code": 403, "message": message})
        self.revoke()
        return _json(200, {"revoked": True})
    {%- if cookiecutter.openid_connect %}

    def _id_token_claims(self, user: FakeUser, scopes: frozenset[str]) -> dict[str, object]:
        """The claims of the id_token about ``user``, limited to what ``scopes`` grant."""
        issued_at = round(self.now(), 6)
        claims: dict[str, object] = {
            "iss": self.url,
            "aud": self.client_id,
            "sub": self._subject(user),
            "jti": str(uuid.uuid4()),
            "iat": issued_at,
            "exp": issued_at + ID_TOKEN_LIFETIME_SECONDS,
        }
        if "profile" in scopes:
            claims["firstname"] = user.first_name
            claims["lastname"] = user.last_name
        if "email" in scopes:
            claims["email"] = user.email
            claims["email_verified"] = False
        return claims

    def _subject(self, user: FakeUser) -> str:
        """A pairwise user id: stable for one user and one App, different for another App."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.url}|{self.client_id}|{user.id}"))

    def _public_key(self, request: httpx.Request) -> httpx.Response:
        """The current signing key as a self-signed X.509 certificate (PEM, CRLF line endings)."""
        return _json(200, {"public_key": self._certificate_pem})
    {%- endif %}


def _scope_string(scopes: frozenset[str]) -> str:
    """Granted scopes as the PIM reports them: sorted alphabetically, space separated."""
    return " ".join(sorted(scopes))


def _json(status_code: int, body: object) -> httpx.Response:
    return httpx.Response(status_code, json=body)


def _error_screen(message: str) -> httpx.Response:
    """The HTML error page the PIM shows the user instead of redirecting to the App."""
    page = (
        "<!DOCTYPE html>\n<html><head><title>Akeneo PIM</title></head>"
        f'<body><h1>An error occurred</h1><p class="error">{html.escape(message)}</p></body></html>'
    )
    return httpx.Response(400, html=page)


def _replay(override: httpx.Response | Exception) -> httpx.Response:
    """Raise a canned exception, or return a fresh copy of a canned response (reusable)."""
    if isinstance(override, Exception):
        raise override
    content = override.read()
    return httpx.Response(override.status_code, headers=override.headers, content=content)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    """scheme, host, port (None for the scheme's default port)."""
    return url.scheme, url.host, url.port
{%- if cookiecutter.openid_connect %}


def _new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _shared_private_key() -> rsa.RSAPrivateKey:
    """The first key of every FakePim: RSA generation is slow, test suites should stay fast."""
    return _new_private_key()


def self_signed_certificate_pem(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    """A self-signed X.509 certificate of the key, in PEM with CRLF line endings like the PIM."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Akeneo PIM")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(private_key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return pem.strip().replace("\n", "\r\n")


def _sign(claims: dict[str, object], key: rsa.RSAPrivateKey) -> str:
    """An RS256 JWT with exactly the PIM's header {"typ": "JWT", "alg": "RS256"} (no kid)."""
    return jwt.encode(claims, key, algorithm="RS256", headers={"typ": "JWT"}, sort_headers=False)
{%- endif %}


def too_many_requests(retry_after: str = "0") -> httpx.Response:
    """The PIM's answer to an App over its fair-use limits."""
    return httpx.Response(
        429,
        headers={"Retry-After": retry_after},
        json={"code": 429, "message": "Too many requests"},
    )


def service_unavailable(retry_after: str = "0") -> httpx.Response:
    """What a PIM under maintenance or overloaded answers (from its web server, in HTML)."""
    return httpx.Response(
        503,
        headers={"Retry-After": retry_after},
        html="<html><body><h1>503 Service Unavailable</h1></body></html>",
    )


class _PimTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Routes each request to the fake PIM at its origin, for sync and async clients."""

    def __init__(self, *pims: FakePim) -> None:
        self._by_origin: dict[tuple[str, str, int | None], FakePim] = {}
        for pim in pims:
            origin = _origin(httpx.URL(pim.url))
            if origin in self._by_origin:
                raise ValueError(f"two fake PIMs share the origin of {pim.url}")
            self._by_origin[origin] = pim

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        pim = self._pim(request)
        with pim.answering():
            time.sleep(pim.answer_delay)
            return pim.handle(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        pim = self._pim(request)
        with pim.answering():
            await asyncio.sleep(pim.answer_delay)
            return pim.handle(request)

    def _pim(self, request: httpx.Request) -> FakePim:
        pim = self._by_origin.get(_origin(request.url))
        if pim is None:
            raise httpx.ConnectError(f"cannot reach {request.url.host}", request=request)
        return pim


def pim_transport(*pims: FakePim) -> _PimTransport:
    """An httpx transport (sync and async) routing each request to the PIM at its origin.

    Each answer waits the PIM's ``answer_delay`` (with ``asyncio.sleep`` for async clients, so
    concurrent calls overlap as on a real network). Any other host raises httpx.ConnectError,
    like an unreachable host.
    """
    return _PimTransport(*pims)


def serve(
    pim: FakePim,
    host: str,
    port: int,
    *,
    quiet: bool = True,
    handle: Handler | None = None,
) -> ThreadingHTTPServer:
    """Serve ``pim`` over real HTTP (port 0: any free port) from a background thread.

    Requests are converted to httpx.Request and back, one at a time, and answered by ``handle``
    (default: ``pim.handle``; the PIM simulator puts its browser pages in front). An exception
    override makes the server hang up without answering. Stop with ``server.shutdown()`` then
    ``server.server_close()``. ``pim.url`` is left as is: set it to the served URL if needed.
    """
    lock = threading.Lock()
    answer = handle or pim.handle

    class _Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            authority = self.headers.get("Host") or f"{host}:{self.server.server_address[1]}"
            request = httpx.Request(
                self.command,
                f"http://{authority}{self.path}",
                headers=list(self.headers.items()),
                content=body,
            )
            try:
                with pim.answering():
                    time.sleep(pim.answer_delay)
                    with lock:
                        response = answer(request)
            except httpx.TransportError:  # a canned timeout or connection error
                self.close_connection = True
                return
            content = response.read()
            self.send_response(response.status_code)
            for name, value in response.headers.multi_items():
                if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        def log_message(self, format: str, *args: object) -> None:
            if not quiet:
                super().log_message(format, *args)

    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
        name="fake-pim",
        daemon=True,
    ).start()
    return server


def main(argv: list[str] | None = None) -> None:
    """Run a fake PIM on loopback until Ctrl-C; its authorize endpoint consents at once."""
    parser = argparse.ArgumentParser(
        prog="python3 -m tests.fake_pim", description="Run a fake Akeneo PIM on 127.0.0.1."
    )
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--callback-url", required=True)
    parser.add_argument(
        "--products", type=int, default=DEFAULT_PRODUCTS, help="catalogue size (default: 2000)"
    )
    args = parser.parse_args(argv)
    host = "127.0.0.1"
    pim = FakePim(
        f"http://{host}:{args.port}",
        client_id=args.client_id,
        client_secret=args.client_secret,
        callback_url=args.callback_url,
        products=args.products,
    )
    server = serve(pim, host, args.port, quiet=False)
    pim.url = f"http://{host}:{server.server_port}"
    print(f"Fake Akeneo PIM running at {pim.url} (Ctrl-C to stop)", flush=True)
    print(
        f"Disconnect the App: curl -X POST -H '{CONTROL_HEADER}: {pim.control_token}' "
        f"{pim.url}{REVOKE_PATH}",
        flush=True,
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
