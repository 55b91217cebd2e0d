"""OpenID Connect: who the PIM user is, from a verified id_token, end to end and unit by unit."""

import base64
import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from functools import cache
from typing import cast

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
{%- if cookiecutter.framework == "flask" %}
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
{%- else %}
from itsdangerous import TimestampSigner
{%- endif %}

from {{ cookiecutter.package_name }}.akeneo.errors import (
    IdTokenSignatureMismatch,
    InvalidIdToken,
    PimBadResponse,
)
from {{ cookiecutter.package_name }}.akeneo.openid import (
    LEEWAY_SECONDS,
    Identity,
    PublicKeyCache,
    parse_public_key_response,
    verify_id_token,
)
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import BrowserSession, Storage, StoredUser
from tests.conftest import CLIENT_ID, Browser, Page
from tests.databases import sql
from tests.fake_pim import (
    PUBLIC_KEY_PATH,
    TOKEN_PATH,
    FakePim,
    FakeUser,
    self_signed_certificate_pem,
)

MakeBrowser = Callable[..., Browser]
UserRow = tuple[int, str, str, str, str, str]


@cache
def foreign_key() -> rsa.RSAPrivateKey:
    """An RSA key that no PIM uses, made once: RSA generation is slow."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def users(settings: Settings) -> list[UserRow]:
    """Every stored user, read straight from the database."""
    rows = sql(
        settings.database_url,
        "SELECT id, pim_url, sub, first_name, last_name, email FROM users ORDER BY id",
    )
    return cast(list[UserRow], rows)


def session_of(page: Page, settings: Settings) -> dict[str, object]:
    """The session the App put in `page`'s cookie, read with the App's secret key."""
    value = page.cookie.split(";")[0].partition("=")[2]
{%- if cookiecutter.framework == "flask" %}
    app = Flask(__name__)
    app.secret_key = settings.secret_key
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    return dict(serializer.loads(value))
{%- else %}
    signed = TimestampSigner(settings.secret_key).unsign(value.encode())
    return dict(json.loads(base64.b64decode(signed)))
{%- endif %}


def linked_session(page: Page, settings: Settings, storage: Storage) -> BrowserSession:
    """The session that `page`'s cookie names, as the database holds it."""
    session_id = session_of(page, settings)["session_id"]
    assert isinstance(session_id, str)
    link = storage.get_session(session_id)
    assert link is not None
    return link


def session_user(page: Page, settings: Settings, storage: Storage) -> StoredUser:
    user_id = linked_session(page, settings, storage).user_id
    assert user_id is not None
    user = storage.get_user(user_id)
    assert user is not None
    return user


def public_key_fetches(pim: FakePim) -> int:
    return sum(1 for request in pim.requests if request.url.path == PUBLIC_KEY_PATH)


def token_response(id_token: str | None) -> httpx.Response:
    """A successful token response from the PIM, carrying `id_token` (none if None)."""
    body = {
        "access_token": "crafted-access-token",
        "token_type": "bearer",
        "scope": "email openid profile read_channel_localization read_channel_settings",
    }
    if id_token is not None:
        body["id_token"] = id_token
    return httpx.Response(200, json=body)


def unverified_claims(id_token: str) -> dict[str, object]:
    return dict(jwt.decode(id_token, options={"verify_signature": False}))


def pim_key(pim: FakePim) -> RSAPublicKey:
    """The PIM's current signing key, as its public-key endpoint serves it."""
    return parse_public_key_response(public_key_response(pim))


def public_key_response(pim: FakePim) -> httpx.Response:
    return pim.handle(httpx.Request("GET", f"{pim.url}{PUBLIC_KEY_PATH}"))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_with_algorithm(algorithm: str, claims: dict[str, object], secret: bytes) -> str:
    """A JWT with header `alg`; HS256 is signed with `secret`, anything else left unsigned."""
    header = _b64url(json.dumps({"typ": "JWT", "alg": algorithm}).encode())
    payload = _b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}"
    if algorithm != "HS256":
        return f"{signing_input}."
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


# -- logging in ------------------------------------------------------------------------------


def test_a_login_greets_the_user_and_links_the_session(
    browser: Browser, pim_a: FakePim, settings: Settings, storage: Storage
) -> None:
    landing = browser.connect(pim_a)

    assert landing.status == 302
    assert landing.location == "/"
    home = browser.get("/")
    assert home.status == 200
    assert "Hello Julia Stark!" in home.text
    assert pim_a.last_id_token_claims is not None
    sub = pim_a.last_id_token_claims["sub"]
    [(user_id, pim_url, stored_sub, *names_and_email)] = users(settings)
    assert (pim_url, stored_sub) == (pim_a.url, sub)
    assert names_and_email == ["Julia", "Stark", "julia@example.com"]
    link = linked_session(landing, settings, storage)
    assert (link.pim_url, link.user_id) == (pim_a.url, user_id)
    assert set(session_of(landing, settings)) == {"authorizations", "session_id"}
    assert storage.get_user(user_id) == StoredUser(
        user_id, pim_a.url, "Julia", "Stark", "julia@example.com"
    )
    assert public_key_fetches(pim_a) == 1


def test_names_from_the_pim_are_shown_escaped(
    browser: Browser, pim_a: FakePim, settings: Settings
) -> None:
    pim_a.user = FakeUser(first_name="<script>alert(1)</script>", last_name="<b>Stark</b> & Co")

    browser.connect(pim_a)

    home = browser.get("/")
    assert home.status == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in home.text
    assert "&lt;b&gt;Stark&lt;/b&gt; &amp; Co" in home.text
    assert "<script>" not in home.text
    assert "<b>" not in home.text
    # Stored as the PIM sent them: escaping belongs to the page, not to the data.
    [(_, _, _, first_name, last_name, _)] = users(settings)
    assert (first_name, last_name) == ("<script>alert(1)</script>", "<b>Stark</b> & Co")


def test_a_login_with_a_cached_key_needs_no_public_key_endpoint(
    make_browser: MakeBrowser, pim_a: FakePim
) -> None:
    make_browser().connect(pim_a)
    pim_a.overrides[PUBLIC_KEY_PATH] = httpx.Response(500)
    browser = make_browser()

    landing = browser.connect(pim_a)

    assert landing.location == "/"
    assert "Hello Julia Stark!" in browser.get("/").text
    assert public_key_fetches(pim_a) == 1


# -- refused identity tokens -----------------------------------------------------------------


def expired_id_token(pim: FakePim) -> str:
    now = time.time()
    return pim.sign_id_token({"iat": now - 7200, "exp": now - LEEWAY_SECONDS - 60})


def future_id_token(pim: FakePim) -> str:
    now = time.time()
    return pim.sign_id_token({"iat": now + 600, "exp": now + 600 + 3600})


REFUSED_ID_TOKENS: dict[str, tuple[Callable[[FakePim], str | None], str]] = {
    "foreign-signature": (
        lambda pim: pim.sign_id_token(key=foreign_key()),
        "signature does not match",
    ),
    "wrong-issuer": (
        lambda pim: pim.sign_id_token({"iss": "https://pim-b.example.test"}),
        "issued by another PIM",
    ),
    "wrong-audience": (
        lambda pim: pim.sign_id_token({"aud": "another-app-client-id"}),
        "Audience",
    ),
    "expired": (expired_id_token, "Signature has expired"),
    "issued-in-the-future": (future_id_token, "not yet valid"),
    "no-sub": (lambda pim: pim.sign_id_token({"sub": None}), "missing the"),
    "empty-sub": (lambda pim: pim.sign_id_token({"sub": ""}), "no subject"),
    "no-id-token": (lambda pim: None, "sent no id_token"),
    "not-a-jwt": (lambda pim: "not-a-jwt", "not valid"),
}


@pytest.mark.parametrize("case", REFUSED_ID_TOKENS.values(), ids=REFUSED_ID_TOKENS.keys())
def test_a_refused_id_token_gets_a_502_page_and_stores_nothing(
    browser: Browser,
    pim_a: FakePim,
    settings: Settings,
    storage: Storage,
    case: tuple[Callable[[FakePim], str | None], str],
) -> None:
    make_id_token, reason = case
    pim_a.overrides[TOKEN_PATH] = token_response(make_id_token(pim_a))

    page = browser.connect(pim_a)

    assert page.status == 502
    assert "The PIM user could not be identified" in page.text
    assert reason in page.text
    assert "Nothing was stored" in page.text
    assert storage.get_connection(pim_a.url) is None
    assert users(settings) == []
    assert "Welcome" in browser.get("/").text


def test_a_refused_id_token_leaves_an_existing_connection_and_user_as_they_were(
    make_browser: MakeBrowser, pim_a: FakePim, settings: Settings, storage: Storage
) -> None:
    make_browser().connect(pim_a)
    connection_before, users_before = storage.get_connection(pim_a.url), users(settings)
    pim_a.user = dataclasses.replace(pim_a.user, first_name="Mallory")
    pim_a.overrides[TOKEN_PATH] = token_response(pim_a.sign_id_token({"aud": "another-app"}))

    page = make_browser().connect(pim_a)

    assert page.status == 502
    assert storage.get_connection(pim_a.url) == connection_before
    assert users(settings) == users_before
    # Signed by the cached key but refused for a claim: fetching the key again would not help.
    assert public_key_fetches(pim_a) == 1


@pytest.mark.parametrize(
    ("answer", "status", "expected"),
    [
        (httpx.Response(500, json={"code": 500}), 502, "answered HTTP 500"),
        (httpx.ConnectError("refused"), 502, "could not be reached"),
        (httpx.ReadTimeout("timed out"), 504, "did not answer in time"),
        (httpx.Response(200, text="<html>maintenance</html>"), 502, "did not return a certificate"),
        (httpx.Response(200, json={"public_key": "garbage"}), 502, "did not return a certificate"),
        (httpx.Response(200, json={"key": "misnamed"}), 502, "did not return a certificate"),
        (httpx.Response(200, json=["a", "list"]), 502, "did not return a certificate"),
    ],
    ids=["server-error", "unreachable", "timeout", "html", "garbage", "no-key", "json-list"],
)
def test_a_failing_public_key_endpoint_gets_an_error_page_and_stores_nothing(
    browser: Browser,
    pim_a: FakePim,
    settings: Settings,
    storage: Storage,
    answer: httpx.Response | Exception,
    status: int,
    expected: str,
) -> None:
    pim_a.overrides[PUBLIC_KEY_PATH] = answer

    page = browser.connect(pim_a)

    assert page.status == status
    assert expected in page.text
    assert "Nothing was changed" in page.text
    assert storage.get_connection(pim_a.url) is None
    assert users(settings) == []
    assert public_key_fetches(pim_a) == 1


# -- key rotation ----------------------------------------------------------------------------


def test_a_rotated_key_is_fetched_again_once(make_browser: MakeBrowser, pim_a: FakePim) -> None:
    make_browser().connect(pim_a)
    pim_a.rotate_key()
    browser = make_browser()

    landing = browser.connect(pim_a)

    assert landing.location == "/"
    assert "Hello Julia Stark!" in browser.get("/").text
    assert public_key_fetches(pim_a) == 2
    make_browser().connect(pim_a)
    assert public_key_fetches(pim_a) == 2  # the new key is cached in turn


def test_a_forged_token_after_a_rotation_fails_after_one_new_fetch(
    make_browser: MakeBrowser, pim_a: FakePim, settings: Settings, storage: Storage
) -> None:
    make_browser().connect(pim_a)
    connection_before, users_before = storage.get_connection(pim_a.url), users(settings)
    pim_a.rotate_key()
    pim_a.overrides[TOKEN_PATH] = token_response(pim_a.sign_id_token(key=foreign_key()))

    page = make_browser().connect(pim_a)

    assert page.status == 502
    assert "signature does not match" in page.text
    assert public_key_fetches(pim_a) == 2
    assert storage.get_connection(pim_a.url) == connection_before
    assert users(settings) == users_before

    del pim_a.overrides[TOKEN_PATH]
    assert make_browser().connect(pim_a).location == "/"
    assert public_key_fetches(pim_a) == 2  # the key fetched for the forged token was the new one


# -- users -----------------------------------------------------------------------------------


def test_namesakes_are_two_users_and_a_new_login_updates_the_right_one(
    make_browser: MakeBrowser, pim_a: FakePim, settings: Settings, storage: Storage
) -> None:
    julia = FakeUser(email="julia@example.com")
    namesake = FakeUser(email="julia.stark@example.org")
    alice, bob = make_browser(), make_browser()
    pim_a.user = julia
    alice_landing = alice.connect(pim_a)
    pim_a.user = namesake
    bob_landing = bob.connect(pim_a)

    first, second = users(settings)
    assert first[2] != second[2]  # two subs
    assert [first[5], second[5]] == [julia.email, namesake.email]
    alice_user = session_user(alice_landing, settings, storage)
    bob_user = session_user(bob_landing, settings, storage)
    assert (alice_user.id, alice_user.email) == (first[0], julia.email)
    assert (bob_user.id, bob_user.email) == (second[0], namesake.email)
    assert "Hello Julia Stark!" in alice.get("/").text
    assert "Hello Julia Stark!" in bob.get("/").text

    pim_a.user = dataclasses.replace(julia, first_name="Juliette", last_name="Stark-Lee")
    again = make_browser().connect(pim_a)

    assert session_user(again, settings, storage).id == alice_user.id
    renamed, unchanged = users(settings)
    assert renamed == (first[0], pim_a.url, first[2], "Juliette", "Stark-Lee", julia.email)
    assert unchanged == second
    assert "Hello Juliette Stark-Lee!" in alice.get("/").text
    assert "Hello Julia Stark!" in bob.get("/").text


def test_one_person_in_two_pims_is_two_users(
    browser: Browser, pim_a: FakePim, pim_b: FakePim, settings: Settings, storage: Storage
) -> None:
    pim_b.user = pim_a.user  # the same PIM user id in both PIMs

    browser.connect(pim_a)
    landing = browser.connect(pim_b)

    in_a, in_b = users(settings)
    assert (in_a[1], in_b[1]) == (pim_a.url, pim_b.url)
    assert in_a[2] != in_b[2]  # subjects are pairwise: they never match across PIMs
    assert session_user(landing, settings, storage).pim_url == pim_b.url


# -- Open app --------------------------------------------------------------------------------


def test_open_app_with_a_session_whose_user_is_gone_asks_the_pim(
    browser: Browser, pim_a: FakePim, settings: Settings
) -> None:
    browser.connect(pim_a)
    sql(settings.database_url, "DELETE FROM users")

    page = browser.get("/activate", {"pim_url": pim_a.url})

    assert page.location.startswith(f"{pim_a.url}/connect/apps/v1/authorize?")
    assert "Hello" not in browser.get("/").text


def test_open_app_after_logout_asks_the_pim_and_keeps_the_token(
    browser: Browser, pim_a: FakePim, settings: Settings, storage: Storage
) -> None:
    browser.connect(pim_a)
    connection = storage.get_connection(pim_a.url)

    assert browser.submit(browser.get("/"), "/logout").status == 303
    page = browser.get("/activate", {"pim_url": pim_a.url})

    assert page.location.startswith(f"{pim_a.url}/connect/apps/v1/authorize?")
    assert "Hello" not in browser.get("/").text
    assert storage.get_connection(pim_a.url) == connection
    assert len(users(settings)) == 1


# -- OpenID Connect off at runtime -----------------------------------------------------------


def test_openid_connect_can_be_turned_off_in_the_settings(
    make_browser: MakeBrowser, pim_a: FakePim, settings: Settings, storage: Storage
) -> None:
    without_openid = dataclasses.replace(settings, openid_connect=False)
    browser = make_browser(without_openid)

    activation = browser.get("/activate", {"pim_url": pim_a.url})
    scopes = httpx.URL(activation.location).params["scope"].split()
    landing = browser.get(pim_a.authorize(activation.location))

    assert scopes == ["read_channel_settings", "read_channel_localization"]
    assert landing.status == 302
    assert landing.location == "/"
    assert pim_a.last_id_token_claims is None  # the PIM sent no id_token
    link = linked_session(landing, without_openid, storage)
    assert (link.pim_url, link.user_id) == (pim_a.url, None)
    home = browser.get("/")
    assert pim_a.url in home.text
    assert "Hello" not in home.text
    stored = storage.get_connection(pim_a.url)
    assert stored is not None
    assert stored.scopes == ("read_channel_localization", "read_channel_settings")
    assert users(settings) == []
    assert public_key_fetches(pim_a) == 0
    assert browser.get("/activate", {"pim_url": pim_a.url}).location == "/"


# -- akeneo.openid, unit by unit -------------------------------------------------------------


def test_the_pims_certificate_gives_the_key_that_checks_its_tokens(pim_a: FakePim) -> None:
    response = public_key_response(pim_a)
    pem = response.json()["public_key"]
    id_token = pim_a.sign_id_token()

    key = parse_public_key_response(response)

    assert pem.startswith("-----BEGIN CERTIFICATE-----\r\n")
    assert "\n" not in pem.replace("\r\n", "")  # CRLF line endings only, like the PIM
    assert isinstance(key, RSAPublicKey)
    assert verify_id_token(id_token, key, pim_a.url, CLIENT_ID) == Identity(
        sub=str(unverified_claims(id_token)["sub"]),
        first_name="Julia",
        last_name="Stark",
        email="julia@example.com",
    )


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(404, json={"code": 404}), "answered HTTP 404"),
        (httpx.Response(500, text="<html>error</html>"), "answered HTTP 500"),
        (httpx.Response(200, text="-----BEGIN CERTIFICATE-----"), "did not return a certificate"),
        (httpx.Response(200, json={}), "did not return a certificate"),
        (httpx.Response(200, json={"public_key": None}), "did not return a certificate"),
        (httpx.Response(200, json="a string"), "did not return a certificate"),
        (
            httpx.Response(
                200,
                json={
                    "public_key": "-----BEGIN CERTIFICATE-----\r\nbm90IGEgY2VydA==\r\n"
                    "-----END CERTIFICATE-----"
                },
            ),
            "did not return a certificate",
        ),
    ],
    ids=["404", "500", "not-json", "no-key", "null-key", "json-string", "bad-certificate"],
)
def test_a_bad_public_key_response_is_refused(response: httpx.Response, expected: str) -> None:
    with pytest.raises(PimBadResponse, match=expected):
        parse_public_key_response(response)


def test_a_bare_public_key_is_not_a_certificate() -> None:
    pem = (
        foreign_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    with pytest.raises(PimBadResponse, match="did not return a certificate"):
        parse_public_key_response(httpx.Response(200, json={"public_key": pem}))


def test_a_certificate_without_an_rsa_key_is_refused() -> None:
    pem = self_signed_certificate_pem(ec.generate_private_key(ec.SECP256R1()))

    with pytest.raises(PimBadResponse, match="does not hold an RSA key"):
        parse_public_key_response(httpx.Response(200, json={"public_key": pem}))


def test_an_issuer_with_a_trailing_slash_is_the_same_pim(pim_a: FakePim) -> None:
    id_token = pim_a.sign_id_token({"iss": f"{pim_a.url}/"})

    identity = verify_id_token(id_token, pim_key(pim_a), pim_a.url, CLIENT_ID)

    assert identity.sub == unverified_claims(id_token)["sub"]


def test_a_pim_url_written_differently_is_still_the_issuer(
    browser: Browser, pim_a: FakePim, storage: Storage
) -> None:
    # The PIM signs its URL exactly as it sent it; the App keeps it in normalised form.
    pim_a.url = "https://PIM-A.example.test:443/"

    page = browser.connect(pim_a)

    assert page.status == 302, page.text
    assert storage.get_connection("https://pim-a.example.test") is not None
    assert "Hello Julia Stark" in browser.get("/").text


def test_a_token_without_profile_and_email_has_empty_names(pim_a: FakePim) -> None:
    id_token = pim_a.sign_id_token({"firstname": None, "lastname": None, "email": None})

    identity = verify_id_token(id_token, pim_key(pim_a), pim_a.url, CLIENT_ID)

    assert (identity.first_name, identity.last_name, identity.email) == ("", "", "")


def test_small_clock_differences_are_tolerated(pim_a: FakePim) -> None:
    now = time.time()
    id_token = pim_a.sign_id_token({"iat": now + 5, "exp": now - 5})

    identity = verify_id_token(id_token, pim_key(pim_a), pim_a.url, CLIENT_ID)

    assert identity.first_name == "Julia"


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_a_token_not_signed_with_rs256_is_refused(pim_a: FakePim, algorithm: str) -> None:
    claims = unverified_claims(pim_a.sign_id_token())
    # HS256 keyed with the PIM's public certificate: the classic algorithm-confusion forgery.
    certificate = public_key_response(pim_a).json()["public_key"].encode()
    id_token = jwt_with_algorithm(algorithm, claims, certificate)

    with pytest.raises(InvalidIdToken, match="not valid") as refused:
        verify_id_token(id_token, pim_key(pim_a), pim_a.url, CLIENT_ID)

    assert not isinstance(refused.value, IdTokenSignatureMismatch)


def test_only_a_signature_mismatch_asks_for_a_new_key(pim_a: FakePim) -> None:
    key = pim_key(pim_a)
    forged = pim_a.sign_id_token(key=foreign_key())
    expired = pim_a.sign_id_token({"exp": time.time() - LEEWAY_SECONDS - 60})

    with pytest.raises(IdTokenSignatureMismatch):
        verify_id_token(forged, key, pim_a.url, CLIENT_ID)
    with pytest.raises(InvalidIdToken) as refused:
        verify_id_token(expired, key, pim_a.url, CLIENT_ID)
    assert not isinstance(refused.value, IdTokenSignatureMismatch)


def test_the_public_key_cache_keeps_the_last_key_of_each_pim(
    pim_a: FakePim, pim_b: FakePim
) -> None:
    keys = PublicKeyCache()
    first, second = pim_key(pim_a), foreign_key().public_key()

    assert keys.get(pim_a.url) is None
    keys.put(pim_a.url, first)
    assert keys.get(pim_a.url) is first
    assert keys.get(pim_b.url) is None
    keys.put(pim_a.url, second)
    assert keys.get(pim_a.url) is second
