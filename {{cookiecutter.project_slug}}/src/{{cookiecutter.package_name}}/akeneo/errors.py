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


class PimConnectTimeout(PimTimeout):
    """The PIM did not accept the connection in time (nothing was sent: safe to try again)."""
{%- if cookiecutter.openid_connect %}


class InvalidIdToken(AkeneoError):
    """The id_token is missing, malformed, or fails a verification."""


class IdTokenSignatureMismatch(InvalidIdToken):
    """The id_token is not signed by the key it was checked against."""
{%- endif %}
