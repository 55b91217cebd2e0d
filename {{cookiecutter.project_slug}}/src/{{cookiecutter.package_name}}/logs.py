"""The App's log lines: time, level, logger and message, as text or, with LOG_FORMAT=json, as one
JSON object per line for a log collector.

One formatter for every way the App runs: `python3 -m {{ cookiecutter.package_name }}`
and the production server, whose configuration calls `configure` or names `formatter`.
"""

import json
import logging

from .settings import load_log_format

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def formatter(fmt: str = TEXT_FORMAT, datefmt: str | None = None) -> logging.Formatter:
    """The formatter LOG_FORMAT chooses (environment first, then .env): `text` or `json`."""
    if load_log_format() == "json":
        return JsonFormatter()
    return logging.Formatter(fmt, datefmt)


def configure(level: int = logging.INFO) -> None:
    """Show the App's own log lines (its package's loggers) on standard error."""
    logger = logging.getLogger(__package__)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter())
        logger.addHandler(handler)
    logger.setLevel(level)
