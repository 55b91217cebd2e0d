"""gunicorn's settings for this App: `gunicorn --config gunicorn.conf.py` in this folder.

HOST and PORT choose the address (default 127.0.0.1:8000), WEB_CONCURRENCY the number of worker
processes (default 1), WEB_THREADS the threads of each (default 32). Workers never create
tables: run `alembic upgrade head` before starting.
"""

import os

from {{ cookiecutter.package_name }}.settings import MAX_HTTP_TIMEOUT

wsgi_app = "{{ cookiecutter.package_name }}.app:create_app()"

_host, _port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
bind = [f"[{_host}]:{_port}" if ":" in _host else f"{_host}:{_port}"]  # IPv6 in brackets
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))

# Threaded workers: a request waiting on a slow PIM (up to HTTP_TIMEOUT) or on a slow client
# holds one thread, not the worker, so /health and every other user are still answered. A
# sync worker serves one request at a time: one slow PIM call stalled everyone.
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "32"))
# A gthread worker reports to the arbiter from its main loop, whatever its threads wait on;
# this bound (longer than the slowest allowed PIM call) only catches a worker that hangs.
timeout = int(MAX_HTTP_TIMEOUT) + 30
# On a restart, requests in flight may finish their PIM call before the worker stops.
graceful_timeout = int(MAX_HTTP_TIMEOUT) + 5
# Idle kept-alive connections wait in the worker's poller, not in a thread, for 5 seconds.
keepalive = 5

# Access log on stdout; each line names the worker (pid) that served the request. The App
# redacts authorization codes and states from it.
accesslog = "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s'

# X-Forwarded-* are read by the App itself, from the addresses in TRUSTED_PROXIES only.
forwarded_allow_ips = ""

# No management socket in the home folder (the image's user has none).
control_socket_disable = True


def on_starting(server: object) -> None:
    """In the master process, before the workers are forked (they inherit it): the App's own log
    lines on standard error, as text or JSON (LOG_FORMAT), and one warning per variable that is
    not a setting."""
    from {{ cookiecutter.package_name }} import logs
    from {{ cookiecutter.package_name }}.settings import unknown_variable_warnings
    from {{ cookiecutter.package_name }}.startup import logger

    logs.configure()
    for warning in unknown_variable_warnings():
        logger.warning(warning)
