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
import html
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from urllib.parse import parse_qsl, urlencode

import httpx
from cryptography.fernet import Fernet

from {{ cookiecutter.package_name }} import APP_NAME
from tests.fake_pim import AUTHORIZATION_SCOPES, AUTHORIZE_PATH, FakePim, FakeUser, serve

CLIENT_ID = "pim-simulator-app"
DISCONNECT_PATH = "/_simulator/disconnect"
USER_PATH = "/_simulator/user"
STYLESHEET_PATH = "/_simulator/style.css"
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
        self._pages: dict[tuple[str, str], Page] = {
            ("GET", "/"): self._app_store,
            ("GET", AUTHORIZE_PATH): self._consent_screen,
            ("POST", AUTHORIZE_PATH): self._consent_answer,
            ("POST", DISCONNECT_PATH): self._disconnect,
            ("POST", USER_PATH): self._switch_user,
            ("GET", STYLESHEET_PATH): self._stylesheet,
        }

    @property
    def open_app_url(self) -> str:
        """Where Connect and Open app send the browser: the Activate URL with ``pim_url``."""
        separator = "&" if "?" in self.activate_url else "?"
        return f"{self.activate_url}{separator}{urlencode({'pim_url': self.pim.url})}"

    def handle(self, request: httpx.Request) -> httpx.Response:
        page = self._pages.get((request.method, request.url.path))
        if page is None:
            return self.pim.handle(request)
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
        """What the App asks for, with Allow and Cancel (an invalid request: the PIM's error)."""
        params = request.url.params
        error = self.pim.authorization_error(params)
        if error is not None:
            return self._error(400, "The App's authorization request is invalid", error)
        requested = self.pim.granted_scopes(params)
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

    # -- building blocks -----------------------------------------------------------------------

    def _form(self, action: str, content: str) -> str:
        token = f'<input type="hidden" name="{FORM_FIELD}" value="{self._form_token}">'
        return f'<form method="post" action="{_e(action)}">{token}{content}</form>'

    def _checked_form(self, request: httpx.Request) -> dict[str, str] | httpx.Response:
        """The fields of a form from this simulator's pages; an error page for any other."""
        fields: dict[str, str] = {}
        if len(request.content) <= MAX_FORM_BYTES:
            for name, value in parse_qsl(request.content.decode(errors="replace")):
                fields.setdefault(name, value)
        if not secrets.compare_digest(fields.get(FORM_FIELD, ""), self._form_token):
            return self._error(
                403,
                "This form was not sent from the simulator's page",
                "Its security token is missing, or the simulator was restarted since the page "
                "was loaded.",
            )
        return fields

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
        page = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{_e(title)} &middot; PIM simulator</title>
  <link rel="stylesheet" href="{STYLESHEET_PATH}">
</head>
<body>
  <header>
    <a class="brand" href="/">PIM simulator</a>
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
main { max-width: 44rem; margin: 1.5rem auto; padding: 0 1rem; }
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
"""


# -- the one command -----------------------------------------------------------------------------


def app_environment(pim: FakePim, app_port: int, folder: Path) -> dict[str, str]:
    """The App's environment for one run against ``pim``: it wins over ``.env``."""
    return {
        **os.environ,
        "AKENEO_CLIENT_ID": pim.client_id,
        "AKENEO_CLIENT_SECRET": pim.client_secret,
        "AKENEO_ALLOWED_PIM_URLS": pim.url,
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
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
    parser.add_argument("--first-name", default="Julia", help="the PIM user's first name")
    parser.add_argument("--last-name", default="Stark", help="the PIM user's last name")
    parser.add_argument("--email", default="julia@example.com", help="the PIM user's email")
    args = parser.parse_args(argv)

    app_url = f"http://127.0.0.1:{args.app_port}"
    pim = FakePim(
        f"http://localhost:{args.pim_port}",
        client_id=CLIENT_ID,
        client_secret=secrets.token_urlsafe(32),
        callback_url=f"{app_url}/callback",
    )
    pim.user = simulated_user(args.first_name, args.last_name, args.email)
    simulator = PimSimulator(pim, app_name=APP_NAME, activate_url=f"{app_url}/activate")
    try:
        server = serve(pim, "127.0.0.1", args.pim_port, handle=simulator.handle)
    except OSError as error:
        print(
            f"Cannot start the PIM simulator on port {args.pim_port}: {error.strerror}. "
            "Choose another port with --pim-port.",
            file=sys.stderr,
        )
        return 1
    # Ctrl-C stops both, even when this command was started where SIGINT is ignored (a shell's
    # background job): its App would otherwise outlive it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_terminate)
    with tempfile.TemporaryDirectory(prefix="pim-simulator-") as folder:
        app = subprocess.Popen(
            [sys.executable, "-m", "{{ cookiecutter.package_name }}"],
            env=app_environment(pim, args.app_port, Path(folder)),
        )
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
                f"App:           {app_url}   (database and keys of this run only)\n\n"
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


if __name__ == "__main__":
    sys.exit(main())
