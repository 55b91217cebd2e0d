"""The authorization request, the code challenge, and the token request and response."""

import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from {{ cookiecutter.package_name }}.akeneo.errors import PimBadResponse, PimRefused
from {{ cookiecutter.package_name }}.akeneo.oauth import (
    MAX_SCOPE_LENGTH,
    Token,
    build_authorize_url,
    build_token_request,
    code_challenge,
    new_state,
    parse_token_response,
)

PIM_URL = "https://pim.example.test"
CLIENT_ID = "app-client-id"
CLIENT_SECRET = "the-app-client-secret-value"


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def form(request: httpx.Request) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(request.content.decode()).items()}


def test_the_authorize_url_carries_the_request_to_the_pim() -> None:
    url = build_authorize_url(
        PIM_URL, CLIENT_ID, ("read_products", "read_channel_settings"), "the-state"
    )

    assert url.startswith(f"{PIM_URL}/connect/apps/v1/authorize?")
    assert query(url) == {
        "response_type": ["code"],
        "client_id": [CLIENT_ID],
        "scope": ["read_products read_channel_settings"],
        "state": ["the-state"],
    }


def test_the_authorize_url_encodes_its_values() -> None:
    url = build_authorize_url(PIM_URL, "id&scope=everything", ("read_products",), "a b+c")

    assert query(url)["client_id"] == ["id&scope=everything"]
    assert query(url)["scope"] == ["read_products"]
    assert query(url)["state"] == ["a b+c"]


def test_a_scope_of_exactly_the_pims_limit_is_accepted() -> None:
    scopes = ("a" * 499, "b" * 500)  # 499 + 1 space + 500 = 1000 characters

    url = build_authorize_url(PIM_URL, CLIENT_ID, scopes, "state")

    assert len(query(url)["scope"][0]) == MAX_SCOPE_LENGTH


def test_a_scope_over_the_pims_limit_is_refused() -> None:
    scopes = ("a" * 500, "b" * 500)  # 1001 characters with the space

    with pytest.raises(ValueError, match="over 1000 characters"):
        build_authorize_url(PIM_URL, CLIENT_ID, scopes, "state")


def test_each_state_is_new_long_and_url_safe() -> None:
    states = {new_state() for _ in range(200)}

    assert len(states) == 200
    for state in states:
        assert len(state) >= 43  # 32 random bytes
        assert re.fullmatch(r"[A-Za-z0-9_-]+", state)


def test_the_code_challenge_is_the_hex_sha256_of_identifier_then_secret() -> None:
    expected = "f312795e322c87461a6f3c49e09897c59ca0d5a36245d2a00f08cbc66eee976d"

    assert hashlib.sha256(b"abcxyz").hexdigest() == expected
    assert code_challenge("abc", "xyz") == expected
    assert code_challenge("xyz", "abc") != expected


def test_the_token_request_is_a_form_post_to_the_pims_token_endpoint() -> None:
    request = build_token_request(PIM_URL, CLIENT_ID, CLIENT_SECRET, "the-code")

    assert request.method == "POST"
    assert str(request.url) == f"{PIM_URL}/connect/apps/v1/oauth2/token"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    body = form(request)
    assert body.keys() == {
        "client_id",
        "code",
        "grant_type",
        "code_identifier",
        "code_challenge",
    }
    assert body["client_id"] == CLIENT_ID
    assert body["code"] == "the-code"
    assert body["grant_type"] == "authorization_code"
    assert re.fullmatch(r"[0-9a-f]{60}", body["code_identifier"])
    identifier_then_secret = (body["code_identifier"] + CLIENT_SECRET).encode()
    assert body["code_challenge"] == hashlib.sha256(identifier_then_secret).hexdigest()


def test_the_token_request_never_sends_the_secret() -> None:
    request = build_token_request(PIM_URL, CLIENT_ID, CLIENT_SECRET, "the-code")

    assert CLIENT_SECRET not in request.content.decode()
    assert CLIENT_SECRET not in str(request.url)
    assert all(CLIENT_SECRET not in value for value in request.headers.values())


def test_each_token_request_has_a_fresh_identifier() -> None:
    first = form(build_token_request(PIM_URL, CLIENT_ID, CLIENT_SECRET, "the-code"))
    second = form(build_token_request(PIM_URL, CLIENT_ID, CLIENT_SECRET, "the-code"))

    assert first["code_identifier"] != second["code_identifier"]
    assert first["code_challenge"] != second["code_challenge"]


def test_a_successful_token_response_gives_the_token_and_granted_scopes() -> None:
    response = httpx.Response(
        200,
        json={
            "access_token": "the-access-token",
            "token_type": "bearer",
            "scope": "read_channel_settings read_products",
        },
    )

    token = parse_token_response(response)

    assert token.access_token == "the-access-token"
    assert token.scopes == ("read_channel_settings", "read_products")
{%- if cookiecutter.openid_connect %}
    assert token.id_token is None
{%- endif %}


def test_a_token_response_without_scope_grants_none() -> None:
    token = parse_token_response(httpx.Response(200, json={"access_token": "the-access-token"}))

    assert token.scopes == ()
{%- if cookiecutter.openid_connect %}


def test_a_token_response_with_an_id_token_keeps_it() -> None:
    response = httpx.Response(
        200,
        json={
            "access_token": "the-access-token",
            "token_type": "bearer",
            "scope": "email openid profile read_products",
            "id_token": "header.claims.signature",
        },
    )

    token = parse_token_response(response)

    assert token.id_token == "header.claims.signature"
    assert token.scopes == ("email", "openid", "profile", "read_products")
{%- endif %}


@pytest.mark.parametrize(
    ("body", "error", "description"),
    [
        ({"error": "invalid_client"}, "invalid_client", ""),
        ({"error": "invalid_request"}, "invalid_request", ""),
        (
            {"error": "invalid_grant", "error_description": "Code is not valid"},
            "invalid_grant",
            "Code is not valid",
        ),
        (
            {"error": "invalid_grant", "error_description": "Code has expired"},
            "invalid_grant",
            "Code has expired",
        ),
        ({"error": "unsupported_grant_type"}, "unsupported_grant_type", ""),
        ({"error": "invalid_grant", "error_description": 42}, "invalid_grant", ""),
    ],
    ids=[
        "bad-challenge",
        "missing-field",
        "unknown-code",
        "expired-code",
        "bad-grant-type",
        "description-not-a-string",
    ],
)
def test_a_pim_refusal_is_raised_with_its_error_and_description(
    body: dict[str, object], error: str, description: str
) -> None:
    with pytest.raises(PimRefused) as refused:
        parse_token_response(httpx.Response(400, json=body))

    assert refused.value.error == error
    assert refused.value.description == description
    assert str(refused.value) == (f"{error}: {description}" if description else error)


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(400, json={"message": "Bad request"}), "answered HTTP 400"),
        (httpx.Response(400, json={"error": ["invalid_client"]}), "answered HTTP 400"),
        (httpx.Response(500, json={"error": "boom"}), "answered HTTP 500"),
        (httpx.Response(401, json={"access_token": "t", "scope": ""}), "answered HTTP 401"),
        (httpx.Response(200, text="<html>maintenance</html>"), "HTTP 200 with a body that is not"),
        (httpx.Response(502, text="Bad Gateway"), "HTTP 502 with a body that is not JSON"),
        (httpx.Response(200, content=b""), "not JSON"),
        (httpx.Response(200, json=["access_token", "t"]), "HTTP 200 with unexpected JSON"),
        (httpx.Response(200, json="Ok"), "unexpected JSON"),
        (httpx.Response(200, json={"token_type": "bearer", "scope": ""}), "no valid access_token"),
        (httpx.Response(200, json={"access_token": "", "scope": ""}), "no valid access_token"),
        (httpx.Response(200, json={"access_token": 42, "scope": ""}), "no valid access_token"),
        (
            httpx.Response(200, json={"access_token": "t", "scope": ["read_products"]}),
            "no valid access_token and scope",
        ),
{%- if cookiecutter.openid_connect %}
        (
            httpx.Response(200, json={"access_token": "t", "scope": "openid", "id_token": 42}),
            "id_token that is not a string",
        ),
{%- endif %}
    ],
    ids=[
        "400-without-error",
        "400-error-not-a-string",
        "server-error",
        "unexpected-status",
        "html",
        "gateway-text",
        "empty-body",
        "json-list",
        "json-string",
        "missing-access-token",
        "empty-access-token",
        "access-token-not-a-string",
        "scope-not-a-string",
{%- if cookiecutter.openid_connect %}
        "id-token-not-a-string",
{%- endif %}
    ],
)
def test_an_unexpected_token_response_is_a_bad_response(
    response: httpx.Response, message: str
) -> None:
    with pytest.raises(PimBadResponse) as bad:
        parse_token_response(response)

    assert message in str(bad.value)


def test_a_token_never_shows_its_secrets_in_repr() -> None:
{%- if cookiecutter.openid_connect %}
    token = Token(
        access_token="secret-access-token",
        scopes=("read_products",),
        id_token="secret-id-token",
    )
{%- else %}
    token = Token(access_token="secret-access-token", scopes=("read_products",))
{%- endif %}

    shown = repr(token)

    assert "secret-access-token" not in shown
{%- if cookiecutter.openid_connect %}
    assert "secret-id-token" not in shown
{%- endif %}
    assert "read_products" in shown
