"""The server-to-server part of a connection, as one protocol written without I/O.

`exchange_code` is a generator: it yields each `httpx.Request` to send and receives the
`httpx.Response`. `akeneo.transport.run` sends them, so the protocol is written once and the web
layer only chooses the HTTP client.
"""

from collections.abc import Generator
from dataclasses import dataclass, field

import httpx

from .oauth import build_token_request, parse_token_response
{%- if cookiecutter.openid_connect %}
from .openid import Identity, PublicKeyCache, verify_identity
{%- endif %}

Protocol = Generator[httpx.Request, httpx.Response, "Connection"]


@dataclass(frozen=True)
class Connection:
    """A PIM that accepted the App: where it is, the token, and what the token may do."""

    pim_url: str
    access_token: str = field(repr=False)
    scopes: tuple[str, ...]
{%- if cookiecutter.openid_connect %}
    identity: Identity | None = None
{%- endif %}


def exchange_code(
    pim_url: str,
    code: str,
    *,
    client_id: str,
    client_secret: str,
{%- if cookiecutter.openid_connect %}
    public_keys: PublicKeyCache | None = None,
{%- endif %}
) -> Protocol:
    """Trade an authorization code for the PIM's access token.{% if cookiecutter.openid_connect %}

    With `public_keys` (OpenID Connect on), the id_token is required and verified, and the
    connection carries the identity of the PIM user who connected.
    {% endif %}"""
    response = yield build_token_request(pim_url, client_id, client_secret, code)
    token = parse_token_response(response)
{%- if cookiecutter.openid_connect %}
    identity = None
    if public_keys is not None:
        identity = yield from verify_identity(token.id_token, pim_url, client_id, public_keys)
    return Connection(pim_url, token.access_token, token.scopes, identity)
{%- else %}
    return Connection(pim_url, token.access_token, token.scopes)
{%- endif %}
