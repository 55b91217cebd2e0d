"""Keeps authorization codes and states out of the access logs of the development servers."""

import logging
import re

_SECRET_QUERY_VALUE = re.compile(r"\b(code|state)=[^&\s\"']+")


def redact(text: str) -> str:
    return _SECRET_QUERY_VALUE.sub(r"\1=[redacted]", text)


class RedactSecrets(logging.Filter):
    """Rewrites a log record so that `code=` and `state=` query values are not written."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Access loggers pass the request line as an argument; their formatters need the args.
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        message = record.getMessage()
        if redact(message) != message:
            # The format string itself builds the secret (e.g. "code=%s"): log only redacted text.
            record.msg, record.args = redact(message), ()
        return True


def redact_access_logs(*logger_names: str) -> None:
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(RedactSecrets())
