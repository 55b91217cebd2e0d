"""The App authorization flow: authorize URL, code challenge, token request and response."""

import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from .errors import PimBadResponse, PimRefused

AUTHORIZE_PATH = "/connect/apps/v1/authorize"
TOKEN_PATH = "/connect/apps/v1/oauth2/token"
MAX_SCOPE_LENGTH = 1000


@dataclass(frozen=True)
class Token:
    """A successful token response. Secrets are kept out of `repr` so they never reach logs."""

    access_token: str = field(repr=False)
    scopes: tuple[str, ...]
{%- if cookiecutter.openid_connect %}
    id_token: str | None = field(default=None, repr=False)
{%- endif %}


def new_state() -> str:
    """An unguessable value binding an authorization request to the browser that started it."""
    return secrets.token_urlsafe(32)


def build_authorize_url(pim_url: str, client_id: str, scopes: tuple[str, ...], state: str) -> str:
    scope = " ".join(scopes)
    if len(scope) > MAX_SCOPE_LENGTH:
        raise ValueError(f"the PIM refuses scope strings over {MAX_SCOPE_LENGTH} characters")
    query = urlencode(
        {"response_type": "code", "client_id": client_id, "scope": scope, "state": state}
    )
    return f"{pim_url}{AUTHORIZE_PATH}?{query}"


def new_code_identifier() -> str:
    return secrets.token_hex(30)


def code_challenge(code_identifier: str, client_secret: str) -> str:
    """Proves the App knows its secret without sending it: sha256(identifier + secret) in hex."""
    return hashlib.sha256((code_identifier + client_secret).encode()).hexdigest()


def build_token_request(
    pim_url: str, client_id: str, client_secret: str, code: str
) -> httpx.Request:
    code_identifier = new_code_identifier()
    form = {
        "client_id": client_id,
        "code": code,
        "grant_type": "authorization_code",
        "code_identifier": code_identifier,
        "code_challenge": code_challenge(code_identifier, client_secret),
    }
    return httpx.Request("POST", f"{pim_url}{TOKEN_PATH}", data=form)


def parse_token_response(response: httpx.Response) -> Token:
    """Read the PIM's answer to a token request; raise `PimRefused` or `PimBadResponse`."""
    body = _json_object(response)
    error, description = body.get("error"), body.get("error_description")
    if response.status_code == 400 and isinstance(error, str):
        raise PimRefused(error, description if isinstance(description, str) else "")
    if response.status_code != 200:
        raise PimBadResponse(f"the token endpoint answered HTTP {response.status_code}")
    access_token = body.get("access_token")
    scope = body.get("scope", "")
    if not isinstance(access_token, str) or not access_token or not isinstance(scope, str):
        raise PimBadResponse("the token response has no valid access_token and scope")
{%- if cookiecutter.openid_connect %}
    id_token = body.get("id_token")
    if id_token is not None and not isinstance(id_token, str):
        raise PimBadResponse("the token response has an id_token that is not a string")
    return Token(access_token=access_token, scopes=tuple(scope.split()), id_token=id_token)
{%- else %}
    return Token(access_token=access_token, scopes=tuple(scope.split()))
{%- endif %}


def _json_object(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        raise PimBadResponse(
            f"the PIM answered HTTP {response.status_code} with a body that is not JSON"
        ) from None
    if not isinstance(body, dict):
        raise PimBadResponse(f"the PIM answered HTTP {response.status_code} with unexpected JSON")
    return body
