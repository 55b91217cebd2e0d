"""What can go wrong when talking to a PIM, as typed exceptions."""

from dataclasses import dataclass


class AkeneoError(Exception):
    """Base class of every error of the Akeneo protocol layer."""


class InvalidPimUrl(AkeneoError):
    """A `pim_url` that the App must not call."""


class PimRefused(AkeneoError):
    """The PIM answered the token request with an OAuth error body."""

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


class PimBadResponse(AkeneoError):
    """The PIM answered something the protocol does not allow."""


class AnswerTooLarge(PimBadResponse):
    """The PIM's answer is larger than the App reads (`limit` bytes, decompressed)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the PIM's answer is larger than {limit} bytes")
        self.limit = limit


class PimUnreachable(AkeneoError):
    """The PIM could not be reached at all."""


class PimTimeout(PimUnreachable):
    """The PIM did not answer in time."""


class PimConnectFailed(PimUnreachable):
    """No connection to the PIM could be opened (nothing was sent)."""


class PimDisconnected(AkeneoError):
    """The PIM refused the App's token (401): a user disconnected the App, or it was replaced."""

    def __init__(self, pim_url: str, message: str = "") -> None:
        super().__init__(message or f"{pim_url} refused the App's access token")
        self.pim_url = pim_url
        self.message = message


@dataclass(frozen=True)
class FieldError:
    """One reason of a 422: the property refused and why; for product values, which one."""

    property: str
    message: str
    attribute: str | None = None
    locale: str | None = None
    scope: str | None = None


class PimApiError(AkeneoError):
    """The PIM refused an API call: its HTTP `status`, its `message`, and for a 422 `errors`."""

    def __init__(self, status: int, message: str = "", errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(message or f"the PIM answered HTTP {status}")
        self.status = status
        self.message = message
        self.errors = errors


class PimInvalidRequest(PimApiError):
    """The PIM refused the request itself (400, 405, 406, 409, 413, 414, 415): the App's bug."""


class PimValidationFailed(PimApiError):
    """The PIM refused the data sent (422): `errors` says which property and why."""


class PimForbidden(PimApiError):
    """The PIM refused a call (403) for another reason than a scope (e.g. scopes/update)."""


class MissingScope(PimForbidden):
    """The PIM refused a call (403) because the token lacks a scope.

    `message` is the PIM's own explanation; `missing_scopes` the scopes the App asks for that
    the PIM did not grant, when the caller knows them.
    """

    def __init__(self, message: str, missing_scopes: tuple[str, ...] = ()) -> None:
        super().__init__(403, message or "the PIM refused the call: a scope is missing")
        self.message = message
        self.missing_scopes = missing_scopes


class PimNotFound(PimApiError):
    """The PIM has no such resource (404)."""

    def __init__(self, message: str) -> None:
        super().__init__(404, message or "the PIM has no such resource")
        self.message = message


class PimBusy(PimApiError):
    """The PIM still answered 429 or 503 when the call's retry budget was spent.

    `retry_after` is the wait in seconds the PIM asked for, when it said.
    """

    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(status, message)
        self.retry_after = retry_after


class PimServerError(PimApiError):
    """The PIM failed (500, 502, 504...): nothing the App sent is known to be wrong."""


class CatalogUnavailable(PimApiError):
    """A catalog answered HTTP 200 with only an `error` or `message`: disabled, or not mapped."""


class ListTooLong(AkeneoError):
    """A list read for one page has more pages or bytes than one page may show."""


class PimConnectTimeout(PimTimeout):
    """The PIM did not accept the connection in time (nothing was sent: safe to try again)."""
{%- if cookiecutter.openid_connect %}


class InvalidIdToken(AkeneoError):
    """The id_token is missing, malformed, or fails a verification."""


class IdTokenSignatureMismatch(InvalidIdToken):
    """The id_token is not signed by the key it was checked against."""
{%- endif %}
