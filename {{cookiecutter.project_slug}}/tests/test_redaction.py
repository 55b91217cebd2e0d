"""Authorization codes and states never reach the development servers' access logs."""

import io
import logging
import uuid
from collections.abc import Iterator

import pytest

from {{ cookiecutter.package_name }}.redaction import RedactSecrets, redact, redact_access_logs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "GET /callback?code=SECRET-CODE&state=SECRET-STATE HTTP/1.1",
            "GET /callback?code=[redacted]&state=[redacted] HTTP/1.1",
        ),
        (
            "/callback?state=SECRET-STATE&code=SECRET-CODE",
            "/callback?state=[redacted]&code=[redacted]",
        ),
        (
            "http://127.0.0.1:8000/callback?code=a_B-9&state=x&pim_url=https%3A%2F%2Fpim",
            "http://127.0.0.1:8000/callback?code=[redacted]&state=[redacted]"
            "&pim_url=https%3A%2F%2Fpim",
        ),
        (
            '"GET /callback?code=SECRET HTTP/1.1" 302',
            '"GET /callback?code=[redacted] HTTP/1.1" 302',
        ),
        (
            "/activate?pim_url=https%3A%2F%2Fpim.example.com",
            "/activate?pim_url=https%3A%2F%2Fpim.example.com",
        ),
        (
            "/x?zipcode=75001&error_code=E1&code_challenge=abc&statement=s",
            "/x?zipcode=75001&error_code=E1&code_challenge=abc&statement=s",
        ),
        ("/callback?code=&state=S", "/callback?code=&state=[redacted]"),
    ],
    ids=[
        "request-line",
        "state-first",
        "other-params-kept",
        "quoted-request-line",
        "no-secret",
        "look-alike-names",
        "empty-code",
    ],
)
def test_redact_hides_code_and_state_values_only(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A real logger with captured output, filtered like the servers' access logs."""
    name = f"tests.access.{uuid.uuid4().hex}"
    logger = logging.getLogger(name)
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    redact_access_logs(name)
    yield logger, output
    logger.removeHandler(handler)
    for log_filter in list(logger.filters):
        logger.removeFilter(log_filter)


def test_an_access_log_line_with_the_request_line_as_argument_is_redacted(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, output = logged

    logger.info('"%s" %s %s', "GET /callback?code=SECRET&state=S2 HTTP/1.1", 302, "-")

    written = output.getvalue()
    assert written == 'INFO "GET /callback?code=[redacted]&state=[redacted] HTTP/1.1" 302 -\n'
    assert "SECRET" not in written
    assert "S2" not in written


def test_an_access_log_line_with_the_path_as_argument_is_redacted(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, output = logged

    logger.info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:51234",
        "GET",
        "/callback?code=SECRET&state=S2",
        "1.1",
        302,
    )

    written = output.getvalue()
    assert written == (
        'INFO 127.0.0.1:51234 - "GET /callback?code=[redacted]&state=[redacted] HTTP/1.1" 302\n'
    )
    assert "SECRET" not in written
    assert "S2" not in written


def test_a_secret_in_the_message_itself_is_redacted(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, output = logged

    logger.info("GET /callback?code=SECRET&state=S2 HTTP/1.1")

    assert output.getvalue() == "INFO GET /callback?code=[redacted]&state=[redacted] HTTP/1.1\n"


def test_the_filter_keeps_every_record_and_non_string_args() -> None:
    args = ("GET /?state=S2 HTTP/1.1", 302, None)
    record = logging.LogRecord("access", logging.INFO, __file__, 1, '"%s" %s %s', args, None)

    assert RedactSecrets().filter(record) is True
    assert record.args == ("GET /?state=[redacted] HTTP/1.1", 302, None)
    assert record.getMessage() == '"GET /?state=[redacted] HTTP/1.1" 302 None'


def test_a_format_string_naming_the_secrets_still_logs_without_them(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, output = logged

    logger.info("callback code=%s state=%s", "SECRET", "S2")

    assert output.getvalue() == "INFO callback code=[redacted] state=[redacted]\n"


def test_filters_are_installed_once_however_many_apps_are_built() -> None:
    logger = logging.getLogger("tests.redaction.once")

    redact_access_logs("tests.redaction.once")
    redact_access_logs("tests.redaction.once")

    assert [type(f) for f in logger.filters] == [RedactSecrets]
    logger.removeFilter(logger.filters[0])
