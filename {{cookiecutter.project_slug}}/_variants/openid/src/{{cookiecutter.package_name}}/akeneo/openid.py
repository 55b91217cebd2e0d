"""OpenID Connect: verifying the id_token that tells the App which PIM user connected."""

from collections.abc import Generator
from dataclasses import dataclass

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from .errors import IdTokenSignatureMismatch, InvalidIdToken, InvalidPimUrl, PimBadResponse
from .pim_url import normalize_pim_url

PUBLIC_KEY_PATH = "/connect/apps/v1/openid/public-key"
AUTHENTICATION_SCOPES = ("openid", "email", "profile")
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class Identity:
    """The PIM user who connected. Only `(pim_url, sub)` identifies them: names are editable."""

    sub: str
    first_name: str
    last_name: str
    email: str


class PublicKeyCache:
    """The last signing key fetched from each PIM (the App's own cache, not shared state)."""

    def __init__(self) -> None:
        self._keys: dict[str, RSAPublicKey] = {}

    def get(self, pim_url: str) -> RSAPublicKey | None:
        return self._keys.get(pim_url)

    def put(self, pim_url: str, key: RSAPublicKey) -> None:
        self._keys[pim_url] = key


def build_public_key_request(pim_url: str) -> httpx.Request:
    return httpx.Request("GET", f"{pim_url}{PUBLIC_KEY_PATH}")


def parse_public_key_response(response: httpx.Response) -> RSAPublicKey:
    """Read the PIM's signing key from its self-signed X.509 certificate."""
    if response.status_code != 200:
        raise PimBadResponse(f"the PIM's public-key endpoint answered HTTP {response.status_code}")
    try:
        pem = response.json()["public_key"]
        key = x509.load_pem_x509_certificate(pem.encode()).public_key()
    except (ValueError, KeyError, TypeError, AttributeError):
        raise PimBadResponse("the PIM's public-key endpoint did not return a certificate") from None
    if not isinstance(key, RSAPublicKey):
        raise PimBadResponse("the PIM's certificate does not hold an RSA key")
    return key


def verify_id_token(id_token: str, key: RSAPublicKey, pim_url: str, client_id: str) -> Identity:
    """Check signature, issuer, audience, expiry and issue time; return who the token is about."""
    try:
        claims = jwt.decode(
            id_token,
            key,
            algorithms=["RS256"],
            audience=client_id,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "sub", "exp", "iat"]},
        )
    except jwt.InvalidSignatureError:
        raise IdTokenSignatureMismatch("the id_token signature does not match") from None
    except jwt.PyJWTError as error:
        raise InvalidIdToken(f"the id_token is not valid: {error}") from None
    # The PIM puts its URL exactly as it sent it in pim_url, which the App normalised (trailing
    # slash, letter case, default port): normalise the issuer alike before comparing.
    try:
        issuer = normalize_pim_url(str(claims["iss"]), allow_http_loopback=True)
    except InvalidPimUrl:
        raise InvalidIdToken("the id_token's issuer is not a PIM URL") from None
    if issuer != pim_url:
        raise InvalidIdToken("the id_token was issued by another PIM")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise InvalidIdToken("the id_token has no subject")
    return Identity(
        sub=claims["sub"],
        first_name=str(claims.get("firstname", "")),
        last_name=str(claims.get("lastname", "")),
        email=str(claims.get("email", "")),
    )


def verify_identity(
    id_token: str | None, pim_url: str, client_id: str, public_keys: PublicKeyCache
) -> Generator[httpx.Request, httpx.Response, Identity]:
    """Verify `id_token` with the PIM's key, fetching the key when it is unknown or rotated."""
    if not id_token:
        raise InvalidIdToken("the PIM sent no id_token")
    cached = public_keys.get(pim_url)
    if cached is not None:
        try:
            return verify_id_token(id_token, cached, pim_url, client_id)
        except IdTokenSignatureMismatch:
            pass  # The PIM regenerates its key pair regularly: fetch the new key once.
    key = parse_public_key_response((yield build_public_key_request(pim_url)))
    public_keys.put(pim_url, key)
    return verify_id_token(id_token, key, pim_url, client_id)
