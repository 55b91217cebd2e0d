"""What can go wrong when talking to a PIM, as typed exceptions."""


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


class PimUnreachable(AkeneoError):
    """The PIM could not be reached at all."""


class PimTimeout(PimUnreachable):
    """The PIM did not answer in time."""


class PimDisconnected(AkeneoError):
    """The PIM refused the App's token (401): a user disconnected the App, or it was replaced."""

    def __init__(self, pim_url: str, message: str = "") -> None:
        super().__init__(message or f"{pim_url} refused the App's access token")
        self.pim_url = pim_url
        self.message = message


class MissingScope(AkeneoError):
    """The PIM refused a call (403) because the token lacks a scope.

    `message` is the PIM's own explanation; `missing_scopes` the scopes the App asks for that
    the PIM did not grant, when the caller knows them.
    """

    def __init__(self, message: str, missing_scopes: tuple[str, ...] = ()) -> None:
        super().__init__(message or "the PIM refused the call: a scope is missing")
        self.message = message
        self.missing_scopes = missing_scopes


class PimNotFound(AkeneoError):
    """The PIM has no such resource (404)."""


class PimBusy(AkeneoError):
    """The PIM still answered 429 or 503 after the App waited and tried again."""


class PimConnectTimeout(PimTimeout):
    """The PIM did not accept the connection in time (nothing was sent: safe to try again)."""
{%- if cookiecutter.openid_connect %}


class InvalidIdToken(AkeneoError):
    """The id_token is missing, malformed, or fails a verification."""


class IdTokenSignatureMismatch(InvalidIdToken):
    """The id_token is not signed by the key it was checked against."""
{%- endif %}
