"""A PIM simulator: try the App in a browser without a PIM sandbox.

    python -m tests.pim_simulator

starts, on loopback, a simulated PIM at http://localhost:8081 and the App at
http://127.0.0.1:8000, wired to each other: the App gets the simulator's client id, secret and
URL through its environment for this run only (``.env`` is read but never changed), with a
database and keys in a temporary folder. Open the simulator's URL and click Connect. Ctrl-C
stops both.

The simulator is the tests' ``FakePim`` (the same token, API and error behaviour) with the pages
a PIM user sees in front of it: the App Store card with Connect, Open app and Disconnect, and
the consent screen with Allow and Cancel. The two run on different hosts, so the browser treats
them as two sites and the App's cookies meet the same rules as with a real PIM.
"""

import argparse
import dataclasses
import html
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from cryptography.fernet import Fernet

from {{ cookiecutter.package_name }} import APP_NAME
from tests.fake_catalog import DEFAULT_PRODUCTS
from tests.fake_catalog.saved import catalogue_from_json, catalogue_to_json
from tests.fake_pim import (
    AUTHORIZATION_SCOPES,
    AUTHORIZE_PATH,
    CONTROL_HEADER,
    REVOKE_PATH,
    FakePim,
    FakeUser,
    serve,
)
from tests.simulator_pages import NAV, CataloguePages

CLIENT_ID = "pim-simulator-app"
STATE_FILE = "pim-simulator.json"
STATE_FORMAT = 1
DISCONNECT_PATH = "/_simulator/disconnect"
USER_PATH = "/_simulator/user"
STYLESHEET_PATH = "/_simulator/style.css"
FAVICON_PATH = "/_simulator/favicon.svg"
FORM_FIELD = "form_token"
MAX_FORM_BYTES = 4096
MAX_NAME_LENGTH = 100
STARTUP_SECONDS = 30
STOP_SECONDS = 10

_VERBS = {"read": "View", "write": "Edit", "delete": "Delete"}

Page = Callable[[httpx.Request], httpx.Response]


def simulated_user(first_name: str, last_name: str, email: str) -> FakeUser:
    """A PIM user whose id follows from the email: the same email is the same user again."""
    user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"pim-simulator-user:{email.lower()}"))
    return FakeUser(first_name=first_name, last_name=last_name, email=email, id=user_id)


def describe_scope(scope: str) -> str:
    """What the consent screen says a scope allows, e.g. "View channel settings"."""
    verb, _, subject = scope.partition("_")
    return f"{_VERBS.get(verb, verb.capitalize())} {subject.replace('_', ' ')}"


class PimSimulator:
    """The pages of a PIM in front of ``pim``, which answers every other request.

    ``handle()`` takes the place of ``pim.handle`` (see ``serve(..., handle=...)``). The consent
    screen replaces the fake's immediate consent: the user chooses Allow or Cancel.
    """

    def __init__(self, pim: FakePim, *, app_name: str, activate_url: str) -> None:
        self.pim = pim
        self.app_name = app_name
        self.activate_url = activate_url
        self._form_token = secrets.token_urlsafe(32)
        self.authenticated: set[str] = set()
        """The PIM users who already let the App know who they are (the authentication step)."""
        self.catalogue_pages = CataloguePages(self)
        self._pages: dict[tuple[str, str], Page] = {
            ("GET", "/"): self._app_store,
            ("GET", AUTHORIZE_PATH): self._consent_screen,
            ("POST", AUTHORIZE_PATH): self._consent_answer,
            ("POST", DISCONNECT_PATH): self._disconnect,
            ("POST", USER_PATH): self._switch_user,
            ("GET", STYLESHEET_PATH): self._stylesheet,
            ("GET", FAVICON_PATH): self._favicon,
            ("GET", "/favicon.ico"): self._favicon,
        }

    @property
    def open_app_url(self) -> str:
        """Where Connect and Open app send the browser: the Activate URL with ``pim_url``."""
        separator = "&" if "?" in self.activate_url else "?"
        return f"{self.activate_url}{separator}{urlencode({'pim_url': self.pim.url})}"

    def handle(self, request: httpx.Request) -> httpx.Response:
        page = self._pages.get((request.method, request.url.path))
        if page is None:
            return self.catalogue_pages.route(request) or self.pim.handle(request)
        return page(request)

    # -- pages ---------------------------------------------------------------------------------

    def _app_store(self, request: httpx.Request) -> httpx.Response:
        """The App's card in the App Store, and the signed-in user."""
        pim, name = self.pim, _e(self.app_name)
        if pim.connected:
            status = _status("connected", "Connected")
            about = f"{name} is connected to this PIM. Open it to use it."
            disconnect = self._form(
                DISCONNECT_PATH, '<button class="secondary">Disconnect</button>'
            )
            actions = f'<a class="button" href="{_e(self.open_app_url)}">Open app</a>{disconnect}'
        else:
            if pim.disconnected:
                status = _status("disconnected", "Disconnected")
                about = f"{name} was disconnected: its access token no longer works."
            else:
                status = _status("none", "Not connected")
                about = f"Connect {name} to let it use this PIM's data."
            actions = f'<a class="button" href="{_e(self.open_app_url)}">Connect</a>'
        user = pim.user
        user_form = self._form(
            USER_PATH,
            '<div class="fields">'
            + _text_field("first_name", "First name", user.first_name)
            + _text_field("last_name", "Last name", user.last_name)
            + _text_field("email", "Email", user.email, kind="email")
            + '</div><button class="secondary">Sign in as this user</button>',
        )
        body = f"""
<h1>App Store</h1>
<section class="card" aria-labelledby="app-name">
  <div class="card-head"><h2 id="app-name">{name}</h2>{status}</div>
  <p>{about}</p>
  <div class="actions">{actions}</div>
</section>
<section class="panel" aria-labelledby="user-title">
  <h2 id="user-title">Signed-in PIM user</h2>
  <p>You are <strong>{_e(user.first_name)} {_e(user.last_name)}</strong>
    (<span class="email">{_e(user.email)}</span>).
    Another name and email make another user.</p>
  {user_form}
</section>
<section class="panel" aria-labelledby="setup-title">
  <h2 id="setup-title">This simulated PIM</h2>
  <dl>
    <dt>PIM URL</dt><dd><code>{_e(pim.url)}</code></dd>
    <dt>Client id</dt><dd><code>{_e(pim.client_id)}</code></dd>
    <dt>Activate URL</dt><dd><code>{_e(self.activate_url)}</code></dd>
    <dt>Callback URL</dt><dd><code>{_e(pim.callback_url)}</code></dd>
  </dl>
</section>"""
        return self._page("App Store", body)

    def _consent_screen(self, request: httpx.Request) -> httpx.Response:
        """What the App asks for, with Allow and Cancel (an invalid request: the PIM's error).

        As in the PIM, a connected App asking again for the scopes it holds goes straight back
        to its callback{% if cookiecutter.openid_connect %}, after an authentication step for a
        user who has not yet let it know who they are{% endif %}.
        """
        params = request.url.params
        error = self.pim.authorization_error(params)
        if error is not None:
            return self._error(400, "The App's authorization request is invalid", error)
        requested = self.pim.granted_scopes(params)
        held = self.pim.connection_scopes
        if held is not None and held & AUTHORIZATION_SCOPES == requested & AUTHORIZATION_SCOPES:
            {%- if cookiecutter.openid_connect %}
            if "openid" in requested and self.pim.user.id not in self.authenticated:
                return self._authentication_screen(request, requested)
            {%- endif %}
            return httpx.Response(302, headers={"Location": self.pim.consent(params)})
        scopes = "".join(
            f"<li>{_e(describe_scope(scope))} <code>{_e(scope)}</code></li>"
            for scope in sorted(requested & AUTHORIZATION_SCOPES)
        )
        authorizations = (
            f'<ul class="scopes">{scopes}</ul>'
            if scopes
            else "<p>No authorization: the App asks for none of the PIM's data.</p>"
        )
        {%- if cookiecutter.openid_connect %}
        identity = self._identity(requested)
        {%- endif %}
        buttons = (
            '<button name="decision" value="allow">Allow and connect</button>'
            '<button name="decision" value="cancel" class="secondary">Cancel</button>'
        )
        action = f"{AUTHORIZE_PATH}?{request.url.query.decode()}"
        body = f"""
<h1>Connect {_e(self.app_name)}</h1>
<section class="panel" aria-labelledby="authorizations-title">
  <h2 id="authorizations-title">{_e(self.app_name)} asks to</h2>
  {authorizations}
</section>
{%- if cookiecutter.openid_connect %}
{identity}
{%- endif %}
{self._form(action, f'<div class="actions">{buttons}</div>')}"""
        return self._page(f"Connect {self.app_name}", body)
    {%- if cookiecutter.openid_connect %}

    def _authentication_screen(
        self, request: httpx.Request, requested: frozenset[str]
    ) -> httpx.Response:
        """The App is connected, but this user has not yet let it know who they are."""
        buttons = (
            '<button name="decision" value="allow">Allow and sign in</button>'
            '<button name="decision" value="cancel" class="secondary">Cancel</button>'
        )
        action = f"{AUTHORIZE_PATH}?{request.url.query.decode()}"
        body = f"""
<h1>Sign in to {_e(self.app_name)}</h1>
<p>{_e(self.app_name)} is connected to this PIM and asks who you are.</p>
{self._identity(requested)}
{self._form(action, f'<div class="actions">{buttons}</div>')}"""
        return self._page(f"Sign in to {self.app_name}", body)

    def _identity(self, requested: frozenset[str]) -> str:
        """The user information the App will see, when it asks to identify the user."""
        if "openid" not in requested:
            return ""
        user = self.pim.user
        seen = ["<li>A user id that stays the same for you and this App</li>"]
        if "profile" in requested:
            seen.append(f"<li>Your name: {_e(user.first_name)} {_e(user.last_name)}</li>")
        if "email" in requested:
            seen.append(f"<li>Your email: {_e(user.email)}</li>")
        return f"""
<section class="panel" aria-labelledby="identity-title">
  <h2 id="identity-title">{_e(self.app_name)} will know who you are</h2>
  <ul class="scopes">{"".join(seen)}</ul>
</section>"""
    {%- endif %}

    def _consent_answer(self, request: httpx.Request) -> httpx.Response:
        """Allow: back to the App's callback with a code. Cancel: the App Store, App not called."""
        form = self._checked_form(request)
        if isinstance(form, httpx.Response):
            return form
        if form.get("decision") == "cancel":
            return _see_other("/")
        error = self.pim.authorization_error(request.url.params)
        if error is not None:
            return self._error(400, "The App's authorization request is invalid", error)
        {%- if cookiecutter.openid_connect %}
        if "openid" in self.pim.granted_scopes(request.url.params):
            self.authenticated.add(self.pim.user.id)
        {%- endif %}
        return _see_other(self.pim.consent(request.url.params))

    def _disconnect(self, request: httpx.Request) -> httpx.Response:
        form = self._checked_form(request)
        if isinstance(form, httpx.Response):
            return form
        self.pim.revoke()
        return _see_other("/")

    def _switch_user(self, request: httpx.Request) -> httpx.Response:
        form = self._checked_form(request)
        if isinstance(form, httpx.Response):
            return form
        fields = [form.get(name, "").strip() for name in ("first_name", "last_name", "email")]
        first_name, last_name, email = fields
        if not all(fields) or "@" not in email or max(map(len, fields)) > MAX_NAME_LENGTH:
            return self._error(
                400,
                "This user cannot sign in",
                f"A first name, a last name and an email address, each of at most "
                f"{MAX_NAME_LENGTH} characters, are needed.",
            )
        self.pim.user = simulated_user(first_name, last_name, email)
        return _see_other("/")

    def _stylesheet(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Type": "text/css; charset=utf-8"}, text=STYLESHEET
        )

    def _favicon(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"Content-Type": "image/svg+xml", "Cache-Control": "max-age=86400"},
            text=FAVICON,
        )

    # -- building blocks -----------------------------------------------------------------------

    def _form(self, action: str, content: str) -> str:
        token = f'<input type="hidden" name="{FORM_FIELD}" value="{self._form_token}">'
        return f'<form method="post" action="{_e(action)}">{token}{content}</form>'

    def _checked_form(self, request: httpx.Request) -> dict[str, str] | httpx.Response:
        """The fields of a form from this simulator's pages; an error page for any other."""
        pairs = self._checked_pairs(request)
        if isinstance(pairs, httpx.Response):
            return pairs
        fields: dict[str, str] = {}
        for name, value in pairs:
            fields.setdefault(name, value)
        return fields

    def _checked_pairs(
        self, request: httpx.Request, max_bytes: int = MAX_FORM_BYTES
    ) -> list[tuple[str, str]] | httpx.Response:
        """Every field of a form from this simulator's pages, in order (a multiple select
        sends several); an error page for a form from anywhere else."""
        pairs: list[tuple[str, str]] = []
        if len(request.content) <= max_bytes:
            pairs = parse_qsl(request.content.decode(errors="replace"))
        token = next((value for name, value in pairs if name == FORM_FIELD), "")
        if not secrets.compare_digest(token, self._form_token):
            return self._error(
                403,
                "This form was not sent from the simulator's page",
                "Its security token is missing, or the simulator was restarted since the page "
                "was loaded.",
            )
        return pairs

    def _error(self, status: int, title: str, message: str) -> httpx.Response:
        body = f"""
<section class="error" aria-labelledby="error-title">
  <h1 id="error-title">{_e(title)}</h1>
  <p class="error">{_e(message)}</p>
  <p><strong>What to do:</strong> go back to the <a href="/">App Store</a> and click Connect or
    Open app on {_e(self.app_name)}.</p>
</section>"""
        return self._page(title, body, status)

    def _page(self, title: str, body: str, status: int = 200) -> httpx.Response:
        user = self.pim.user
        navigation = "".join(f'<a href="{href}">{name}</a>' for href, name in NAV)
        page = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{_e(title)} &middot; PIM simulator</title>
  <link rel="stylesheet" href="{STYLESHEET_PATH}">
  <link rel="icon" href="{FAVICON_PATH}" type="image/svg+xml">
</head>
<body>
  <header>
    <a class="brand" href="/">PIM simulator</a>
    <nav aria-label="Simulator">{navigation}</nav>
    <span class="user">{_e(user.first_name)} {_e(user.last_name)}</span>
  </header>
  <main>{body}
  </main>
</body>
</html>
"""
        return httpx.Response(status, html=page)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _text_field(name: str, label: str, value: str, *, kind: str = "text") -> str:
    return (
        f'<label>{label} <input name="{name}" type="{kind}" value="{_e(value)}" required '
        f'maxlength="{MAX_NAME_LENGTH}" autocomplete="off"></label>'
    )


def _status(kind: str, label: str) -> str:
    return f'<span class="status status-{kind}">{label}</span>'


def _see_other(location: str) -> httpx.Response:
    return httpx.Response(303, headers={"Location": location})


STYLESHEET = """
body { font-family: system-ui, sans-serif; margin: 0; color: #1f2430; background: #f3f4f8;
  line-height: 1.5; }
header { display: flex; justify-content: space-between; align-items: center; gap: 1rem;
  background: #2d3142; color: #fff; padding: 0.8rem 1.5rem; }
header .brand { color: #fff; font-weight: 700; text-decoration: none; }
header .user { font-size: 0.9rem; }
header { flex-wrap: wrap; }
header nav { display: flex; flex-wrap: wrap; gap: 0.4rem 1rem; flex: 1; }
header nav a { color: #fff; }
main { max-width: 64rem; margin: 1.5rem auto; padding: 0 1rem; }
.filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.6rem 1rem;
  margin-bottom: 0.8rem; }
.table-wrap { overflow-x: auto; background: #fff; border: 1px solid #d7dae3; border-radius: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.45rem 0.7rem; border-bottom: 1px solid #e3e5ec;
  vertical-align: top; }
thead th { background: #eef0f5; font-size: 0.9rem; }
.counts th { font-weight: 600; width: 60%; }
.grid td:first-child, .grid th:first-child { white-space: nowrap; }
.paging { display: flex; flex-wrap: wrap; gap: 1rem; margin: 0.8rem 0; align-items: center; }
.notice { background: #dff3e4; color: #14532d; border-radius: 6px; padding: 0.5rem 0.8rem; }
label.inline { flex-direction: row; align-items: center; gap: 0.5rem; margin-bottom: 0.8rem; }
select, textarea { font: inherit; font-weight: 400; padding: 0.4rem; border: 1px solid #767b8a;
  border-radius: 4px; margin-top: 0.2rem; }
select:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #f2b705;
  outline-offset: 2px; }
img { display: block; border-radius: 4px; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.15rem; margin: 0 0 0.6rem; }
.card, .panel, .error { background: #fff; border: 1px solid #d7dae3; border-radius: 8px;
  padding: 1rem 1.25rem; margin-bottom: 1rem; }
.card { border-top: 4px solid #7a48b5; }
.card-head { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; }
.card-head h2 { margin: 0; }
.status { display: inline-block; border-radius: 999px; padding: 0.1rem 0.7rem;
  font-size: 0.85rem; font-weight: 600; }
.status-connected { background: #dff3e4; color: #14532d; }
.status-disconnected { background: #fde2e1; color: #8a1c12; }
.status-none { background: #e8e9ef; color: #323846; }
.actions { display: flex; flex-wrap: wrap; gap: 0.6rem; margin-top: 0.5rem; }
.actions form { display: contents; }
.button, button { display: inline-block; background: #6a3aa8; color: #fff;
  border: 1px solid #6a3aa8; border-radius: 6px; padding: 0.55rem 1.1rem;
  font: inherit; font-weight: 600; text-decoration: none; cursor: pointer; }
.secondary { background: #fff; color: #6a3aa8; }
.button:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid #f2b705;
  outline-offset: 2px; }
.scopes { padding-left: 1.2rem; margin: 0; }
.scopes li { margin: 0.3rem 0; }
.fields { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr));
  gap: 0.6rem; margin-bottom: 0.8rem; }
label { display: flex; flex-direction: column; font-size: 0.9rem; font-weight: 600; }
input { font: inherit; font-weight: 400; padding: 0.4rem; border: 1px solid #767b8a;
  border-radius: 4px; margin-top: 0.2rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0; }
dt { font-weight: 600; }
dd { margin: 0; min-width: 0; }
code { background: #eef0f5; padding: 0.05rem 0.3rem; border-radius: 3px; overflow-wrap: anywhere; }
.email { overflow-wrap: anywhere; }
.error { border-left: 4px solid #b42318; }
a { color: #5a2d98; }
@media (max-width: 30rem) {
  dl { grid-template-columns: 1fr; }
  dd { margin-bottom: 0.4rem; }
}
@media (max-width: 40rem) {
  /* Narrow screens: each row of a wide table becomes a small block of its cells. */
  .stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); }
  .stack tr { display: block; padding: 0.4rem 0.7rem; border-bottom: 1px solid #e3e5ec; }
  .stack th, .stack td { display: inline-block; border: 0; padding: 0.1rem 0.6rem 0.1rem 0; }
  .stack td:last-child { display: block; }
}
"""


FAVICON = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#6a3aa8"/>
<path d="M9 24V8h8a5 5 0 0 1 0 10h-4v6z" fill="#fff"/>
</svg>
"""

# -- the one command -----------------------------------------------------------------------------


def port_taken(port: int) -> bool:
    """Whether something already listens on ``port`` of 127.0.0.1 (so the App could not)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def port_taken_message(what: str, port: int, option: str) -> str:
    return (
        f"Port {port} is taken: another program listens on it (perhaps {what} started "
        f"earlier). Stop it, or choose another port with {option}, e.g. {option} {port + 1}."
    )


@dataclass(frozen=True)
class SetupSecrets:
    """The secrets of one simulated setup; ``--data`` keeps them, so that the App's database
    (its encrypted token) and the browser's session stay readable after a restart."""

    client_secret: str
    secret_key: str
    token_encryption_key: str

    @classmethod
    def new(cls) -> "SetupSecrets":
        return cls(
            secrets.token_urlsafe(32), secrets.token_urlsafe(48), Fernet.generate_key().decode()
        )


def save_state(folder: Path, simulator: PimSimulator, setup: SetupSecrets) -> None:
    """The simulated PIM's whole state in ``folder``: written whole or not at all, mode 0600."""
    state = {
        "format": STATE_FORMAT,
        "secrets": dataclasses.asdict(setup),
        "pim": simulator.pim.saved_state(),
        "authenticated": sorted(simulator.authenticated),
        "catalogue": catalogue_to_json(simulator.pim.catalogue),
    }
    path = folder / STATE_FILE
    partial = path.with_suffix(".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(state, file)
    partial.replace(path)


def load_state(folder: Path) -> dict[str, Any] | None:
    """The state ``save_state`` left in ``folder``; None for a new folder.

    Raises ValueError, naming the file, when it is not a state of this simulator.
    """
    path = folder / STATE_FILE
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text())
        if state.get("format") != STATE_FORMAT:
            raise ValueError("another format")
        state["secrets"] = SetupSecrets(**state["secrets"])
        state["catalogue"] = catalogue_from_json(state["catalogue"])
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ValueError(f"{path} is not a state saved by this simulator ({error})") from None
    return dict(state)


def restore(simulator: PimSimulator, state: dict[str, Any]) -> None:
    simulator.pim.catalogue = state["catalogue"]
    simulator.pim.restore_state(state["pim"])
    simulator.authenticated = set(state["authenticated"])


def app_environment(
    pim: FakePim, app_port: int, folder: Path, setup: SetupSecrets
) -> dict[str, str]:
    """The App's environment for one run against ``pim``: it wins over ``.env``."""
    return {
        **os.environ,
        "AKENEO_CLIENT_ID": pim.client_id,
        "AKENEO_CLIENT_SECRET": pim.client_secret,
        "AKENEO_ALLOWED_PIM_URLS": pim.url,
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
        "SECRET_KEY": setup.secret_key,
        "TOKEN_ENCRYPTION_KEYS": setup.token_encryption_key,
        "HOST": "127.0.0.1",
        "PORT": str(app_port),
    }


def wait_for_app(app: "subprocess.Popen[bytes]", health_url: str) -> bool:
    """Whether the App answers ``health_url`` before it stops or the start-up time runs out."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and app.poll() is None:
        try:
            if httpx.get(health_url, timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.2)
    return False


def stop(app: "subprocess.Popen[bytes]") -> None:
    if app.poll() is None:
        app.terminate()
        try:
            app.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()


def _stop_on_terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.pim_simulator",
        description="Run a simulated PIM on localhost and the App on 127.0.0.1, wired together.",
    )
    parser.add_argument("--pim-port", type=int, default=8081, help="default: 8081")
    parser.add_argument("--app-port", type=int, default=8000, help="default: 8000")
    parser.add_argument("--first-name", help="the PIM user's first name (default: Julia)")
    parser.add_argument("--last-name", help="the PIM user's last name (default: Stark)")
    parser.add_argument("--email", help="the PIM user's email (default: julia@example.com)")
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="keep the simulated PIM (catalogue, connection, user) and the App's database in "
        "DIR between runs (default: a temporary folder, forgotten at exit)",
    )
    parser.add_argument(
        "--products",
        type=int,
        default=DEFAULT_PRODUCTS,
        help=f"products in the simulated catalogue (default: {DEFAULT_PRODUCTS})",
    )
    args = parser.parse_args(argv)
    if args.products < 0:
        parser.error("--products must be 0 or more")

    try:
        state = load_state(args.data) if args.data is not None else None
    except ValueError as error:
        print(f"{error}. Choose another folder with --data, or remove it.", file=sys.stderr)
        return 1
    setup = state["secrets"] if state else SetupSecrets.new()
    app_url = f"http://127.0.0.1:{args.app_port}"
    pim = FakePim(
        f"http://localhost:{args.pim_port}",
        client_id=CLIENT_ID,
        client_secret=setup.client_secret,
        callback_url=f"{app_url}/callback",
        products=args.products,
    )
    simulator = PimSimulator(pim, app_name=APP_NAME, activate_url=f"{app_url}/activate")
    if state:
        restore(simulator, state)
    if state is None or args.first_name or args.last_name or args.email:
        pim.user = simulated_user(
            args.first_name or "Julia", args.last_name or "Stark", args.email or "julia@example.com"
        )
    if port_taken(args.app_port):
        print(port_taken_message("another App", args.app_port, "--app-port"), file=sys.stderr)
        return 1
    try:
        server = serve(pim, "127.0.0.1", args.pim_port, handle=simulator.handle)
    except OSError:
        message = port_taken_message("another simulator", args.pim_port, "--pim-port")
        print(message, file=sys.stderr)
        return 1
    # Ctrl-C stops both, even when this command was started where SIGINT is ignored (a shell's
    # background job): its App would otherwise outlive it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_terminate)
    if args.data is not None:
        args.data.mkdir(parents=True, exist_ok=True)
        place: AbstractContextManager[str] = nullcontext(str(args.data))
    else:
        place = tempfile.TemporaryDirectory(prefix="pim-simulator-")
    kept = (
        f"kept in {args.data}: the PIM, the App's database and keys"
        if args.data is not None
        else "database and keys of this run only: --data DIR keeps them"
    )
    with place as folder:
        app = subprocess.Popen(
            [sys.executable, "-m", "{{ cookiecutter.package_name }}"],
            env=app_environment(pim, args.app_port, Path(folder), setup),
        )
        # Built while the App starts, rather than on the browser's first request.
        products = len(pim.catalogue.products)
        try:
            if not wait_for_app(app, f"{app_url}/health"):
                print(
                    f"The App did not start on {app_url}: see its messages above "
                    "(another port: --app-port).",
                    file=sys.stderr,
                )
                return 1
            print(
                f"\nPIM simulator: {pim.url}   (user {pim.user.first_name} "
                f"{pim.user.last_name} <{pim.user.email}>)\n"
                f"App:           {app_url}   ({kept})\n"
                f"Catalogue:     {products} products (--products N)\n"
                f"Disconnect from a script: curl -X POST -H '{CONTROL_HEADER}: "
                f"{pim.control_token}' {pim.url}{REVOKE_PATH}\n\n"
                f"Open {pim.url} and click Connect. Ctrl-C stops both.\n",
                flush=True,
            )
            return app.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            stop(app)
            server.shutdown()
            server.server_close()
            if args.data is not None:
                save_state(args.data, simulator, setup)


if __name__ == "__main__":
    sys.exit(main())
