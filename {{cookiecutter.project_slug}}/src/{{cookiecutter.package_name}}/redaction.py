"""Keeps authorization codes and states out of the access logs of the development servers."""

import logging
import re

_SECRET_QUERY_VALUE = re.compile(r"\b(code|state)=[^&\s\"']+")


def redact(text: str) -> str:
    return _SECRET_QUERY_VALUE.sub(r"\1=[redacted]", text)


class RedactSecrets(logging.Filter):
    """Rewrites a log record so that `code=` and `state=` query values are not written."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def redact_access_logs(*logger_names: str) -> None:
    for name in logger_names:
        logging.getLogger(name).addFilter(RedactSecrets())
