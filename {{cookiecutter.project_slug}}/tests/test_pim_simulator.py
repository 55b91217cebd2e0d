"""The PIM simulator: the fake PIM's pages for a browser, and the one command that runs it."""

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from {{ cookiecutter.package_name }} import APP_NAME
from tests.conftest import Browser
from tests.fake_pim import AUTHORIZE_PATH, CONTROL_HEADER, REVOKE_PATH, FakePim
from tests.pim_simulator import (
    DISCONNECT_PATH,
    FAVICON_PATH,
    FORM_FIELD,
    STATE_FILE,
    STYLESHEET_PATH,
    USER_PATH,
    PimSimulator,
    SetupSecrets,
    describe_scope,
    load_state,
    main,
    restore,
    save_state,
)
from tests.test_server import free_port

PROJECT = Path(__file__).parent.parent
_FORM_TOKEN = re.compile(rf'name="{FORM_FIELD}" value="([^"]+)"')


@pytest.fixture
def simulator(pim_a: FakePim) -> PimSimulator:
    return PimSimulator(pim_a, app_name=APP_NAME, activate_url="http://testserver/activate")


def get(simulator: PimSimulator, url: str) -> httpx.Response:
    response = simulator.handle(httpx.Request("GET", url))
    response.read()
    return response


def post(simulator: PimSimulator, url: str, form: dict[str, str]) -> httpx.Response:
    response = simulator.handle(httpx.Request("POST", url, data=form))
    response.read()
    return response


def form_token(simulator: PimSimulator) -> str:
    match = _FORM_TOKEN.search(get(simulator, f"{simulator.pim.url}/").text)
    assert match is not None
    return match.group(1)


def consent_screen(browser: Browser, simulator: PimSimulator) -> tuple[str, httpx.Response]:
    """Click Connect in the simulator: the App redirects to the consent screen."""
    activation = browser.get(simulator.open_app_url)
    assert activation.status == 302, activation.text
    return activation.location, get(simulator, activation.location)


def allow(browser: Browser, simulator: PimSimulator) -> httpx.Response:
    """Connect, then Allow: the simulator redirects to the App's callback."""
    authorize_url, _ = consent_screen(browser, simulator)
    return post(simulator, authorize_url, {FORM_FIELD: form_token(simulator), "decision": "allow"})


def test_the_app_store_card_offers_to_connect_the_app(simulator: PimSimulator) -> None:
    page = get(simulator, f"{simulator.pim.url}/")

    assert page.status_code == 200
    assert f'<h2 id="app-name">{APP_NAME}</h2>' in page.text
    assert "Not connected" in page.text
    assert 'href="http://testserver/activate?pim_url=https%3A%2F%2Fpim-a.example.test"' in page.text
    assert "Open app" not in page.text


def test_the_consent_screen_lists_the_requested_scopes(
    browser: Browser, simulator: PimSimulator
) -> None:
    _, page = consent_screen(browser, simulator)

    assert page.status_code == 200
    assert "View channel settings <code>read_channel_settings</code>" in page.text
    assert "View channel localization <code>read_channel_localization</code>" in page.text
    assert 'value="allow"' in page.text
    assert 'value="cancel"' in page.text
    assert simulator.pim.tokens == {}  # nothing granted before the user chooses
{%- if cookiecutter.openid_connect %}
    assert "will know who you are" in page.text
    assert "Your name: Julia Stark" in page.text
    assert "Your email: julia@example.com" in page.text
{%- endif %}


def test_allow_sends_the_browser_to_the_apps_callback_and_connects_it(
    browser: Browser, simulator: PimSimulator
) -> None:
    answer = allow(browser, simulator)

    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("http://testserver/callback?code=")
    home = browser.get(answer.headers["Location"])
    assert home.status == 302
    assert "Connected to your PIM" in browser.get("/").text
    card = get(simulator, f"{simulator.pim.url}/")
    assert "Connected" in card.text
    assert "Open app" in card.text
    assert "Disconnect" in card.text


def test_cancel_returns_to_the_app_store_without_calling_the_app(
    browser: Browser, simulator: PimSimulator
) -> None:
    authorize_url, _ = consent_screen(browser, simulator)

    answer = post(
        simulator, authorize_url, {FORM_FIELD: form_token(simulator), "decision": "cancel"}
    )

    assert answer.status_code == 303
    assert answer.headers["Location"] == "/"
    assert "Not connected" in get(simulator, f"{simulator.pim.url}/").text
    assert "Welcome to" in browser.get("/").text


def test_disconnect_revokes_the_apps_token(browser: Browser, simulator: PimSimulator) -> None:
    browser.get(allow(browser, simulator).headers["Location"])

    answer = post(
        simulator, f"{simulator.pim.url}{DISCONNECT_PATH}", {FORM_FIELD: form_token(simulator)}
    )

    assert answer.status_code == 303
    assert simulator.pim.tokens == {}
    assert "Disconnected" in get(simulator, f"{simulator.pim.url}/").text
    channels = browser.get("/first-api-call")
    assert channels.status == 401
    assert "The App was disconnected from the PIM" in channels.text


def test_a_connected_app_asking_for_the_same_scopes_skips_the_consent_screen(
    make_browser: Callable[..., Browser], simulator: PimSimulator
) -> None:
    first, second = make_browser(), make_browser()
    first.get(allow(first, simulator).headers["Location"])
    token = next(iter(simulator.pim.tokens))
    {%- if cookiecutter.openid_connect %}
    simulator.authenticated.add(simulator.pim.user.id)  # the same user, authenticated already
    {%- endif %}

    activation = second.get(simulator.open_app_url)  # a browser without a session
    straight = get(simulator, activation.location)

    assert straight.status_code == 302
    assert straight.headers["Location"].startswith("http://testserver/callback?code=")
    assert second.get(straight.headers["Location"]).status == 302
    assert list(simulator.pim.tokens) == [token]


def test_a_connected_app_asking_for_new_scopes_gets_the_consent_screen(
    make_browser: Callable[..., Browser], simulator: PimSimulator
) -> None:
    first, second = make_browser(), make_browser()
    first.get(allow(first, simulator).headers["Location"])
    authorize_url = second.get(simulator.open_app_url).location
    more = authorize_url.replace("scope=", "scope=read_products+", 1)

    page = get(simulator, more)

    assert page.status_code == 200
    assert "View products <code>read_products</code>" in page.text
{%- if cookiecutter.openid_connect %}


def test_another_user_of_a_connected_app_gets_only_the_authentication_step(
    make_browser: Callable[..., Browser], simulator: PimSimulator
) -> None:
    first, second = make_browser(), make_browser()
    first.get(allow(first, simulator).headers["Location"])
    fields = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@x.test"}
    post(
        simulator, f"{simulator.pim.url}{USER_PATH}", {FORM_FIELD: form_token(simulator), **fields}
    )
    authorize_url, _ = consent_screen(second, simulator)

    step = get(simulator, authorize_url)
    allowed = post(
        simulator, authorize_url, {FORM_FIELD: form_token(simulator), "decision": "allow"}
    )
    again = get(simulator, authorize_url)

    assert step.status_code == 200
    assert "Sign in to" in step.text
    assert "Your name: Ada Lovelace" in step.text
    assert "asks to" not in step.text  # no authorization asked again
    assert allowed.status_code == 303
    assert again.status_code == 302  # the step is asked once per user
{%- endif %}


def test_authorization_errors_never_reach_the_apps_callback(simulator: PimSimulator) -> None:
    base = f"{simulator.pim.url}{AUTHORIZE_PATH}?client_id={simulator.pim.client_id}"

    for query in ("&response_type=token", f"&response_type=code&scope={'x' * 1001}"):
        page = get(simulator, base + query)

        assert page.status_code == 400
        assert "Location" not in page.headers
        assert 'href="/"' in page.text


def test_a_form_without_the_simulators_token_is_refused(
    browser: Browser, simulator: PimSimulator
) -> None:
    browser.get(allow(browser, simulator).headers["Location"])

    answer = post(simulator, f"{simulator.pim.url}{DISCONNECT_PATH}", {FORM_FIELD: "forged"})

    assert answer.status_code == 403
    assert "This form was not sent from the simulator" in answer.text
    assert simulator.pim.tokens != {}


def test_an_invalid_authorization_request_shows_the_pims_error(
    simulator: PimSimulator,
) -> None:
    page = get(simulator, f"{simulator.pim.url}{AUTHORIZE_PATH}?response_type=code&client_id=x")

    assert page.status_code == 400
    assert "The client_id is not valid: no App is registered with it." in page.text
    assert "What to do:" in page.text


def test_another_user_signs_in_and_the_same_email_is_the_same_user_again(
    simulator: PimSimulator,
) -> None:
    url, token = f"{simulator.pim.url}{USER_PATH}", form_token(simulator)
    ada = {FORM_FIELD: token, "first_name": "Ada", "last_name": "Lovelace", "email": "ada@x.test"}
    bob = {FORM_FIELD: token, "first_name": "Bob", "last_name": "Kahn", "email": "bob@x.test"}

    answer = post(simulator, url, ada)
    first_ada = simulator.pim.user
    post(simulator, url, bob)
    the_bob = simulator.pim.user
    post(simulator, url, ada)

    assert answer.status_code == 303
    assert (first_ada.first_name, first_ada.last_name) == ("Ada", "Lovelace")
    assert first_ada.email == "ada@x.test"
    assert the_bob.id != first_ada.id
    assert simulator.pim.user.id == first_ada.id
    assert "You are <strong>Ada Lovelace</strong>" in get(simulator, simulator.pim.url).text


@pytest.mark.parametrize("email", ["", "not-an-email", "a" * 100 + "@example.com"])
def test_a_user_without_a_valid_email_is_refused(simulator: PimSimulator, email: str) -> None:
    before = simulator.pim.user
    fields = {"first_name": "Ada", "last_name": "Lovelace", "email": email}

    answer = post(
        simulator, f"{simulator.pim.url}{USER_PATH}", {FORM_FIELD: form_token(simulator), **fields}
    )

    assert answer.status_code == 400
    assert "This user cannot sign in" in answer.text
    assert simulator.pim.user is before
{%- if cookiecutter.openid_connect %}


def test_the_app_greets_the_user_who_signed_in_to_the_simulator(
    browser: Browser, simulator: PimSimulator
) -> None:
    fields = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@x.test"}
    post(
        simulator, f"{simulator.pim.url}{USER_PATH}", {FORM_FIELD: form_token(simulator), **fields}
    )

    browser.get(allow(browser, simulator).headers["Location"])

    assert "Hello Ada Lovelace!" in browser.get("/").text
{%- endif %}


def test_the_simulators_names_are_escaped(simulator: PimSimulator) -> None:
    simulator.app_name = "<b>Shop</b>"
    page = get(simulator, f"{simulator.pim.url}/")

    assert "<b>Shop</b>" not in page.text
    assert "&lt;b&gt;Shop&lt;/b&gt;" in page.text


def test_the_stylesheet_is_served_and_other_requests_reach_the_pim(
    simulator: PimSimulator,
) -> None:
    stylesheet = get(simulator, f"{simulator.pim.url}{STYLESHEET_PATH}")
    channels = get(simulator, f"{simulator.pim.url}/api/rest/v1/channels")

    assert stylesheet.headers["Content-Type"] == "text/css; charset=utf-8"
    assert ".status-connected" in stylesheet.text
    assert channels.status_code == 401  # the fake PIM's API, without a token


def test_scopes_are_described_as_the_consent_screen_says_them() -> None:
    assert describe_scope("write_products") == "Edit products"
    assert describe_scope("delete_assets") == "Delete assets"
    assert describe_scope("manage_suggestions") == "Manage suggestions"


@pytest.mark.parametrize(
    ("option", "named"), [("--app-port", "another App"), ("--pim-port", "another simulator")]
)
def test_a_taken_port_is_named_with_the_option_to_choose_another(
    capsys: pytest.CaptureFixture[str], option: str, named: str
) -> None:
    ports = {"--app-port": free_port(), "--pim-port": free_port()}
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports[option]))
        squatter.listen()
        code = main([arg for name, port in ports.items() for arg in (name, str(port))])
    output = capsys.readouterr()

    assert code == 1
    port = ports[option]
    assert output.err.strip() == (
        f"Port {port} is taken: another program listens on it (perhaps {named} started "
        f"earlier). Stop it, or choose another port with {option}, e.g. {option} {port + 1}."
    )
    assert "Open" not in output.out


def test_the_control_endpoints_need_the_fake_pims_token(simulator: PimSimulator) -> None:
    pim = simulator.pim
    pim.grant(("read_products",))
    revoke = f"{pim.url}{REVOKE_PATH}"

    cross_site = simulator.handle(
        httpx.Request("POST", revoke, content=b"x", headers={"Content-Type": "text/plain"})
    )
    still_connected = pim.connected
    with_token = simulator.handle(
        httpx.Request("POST", revoke, headers={CONTROL_HEADER: pim.control_token})
    )

    assert cross_site.status_code == 403
    assert still_connected
    assert with_token.status_code == 200
    assert pim.disconnected


def test_the_simulator_has_a_favicon(simulator: PimSimulator) -> None:
    icon = get(simulator, f"{simulator.pim.url}/favicon.ico")
    page = get(simulator, f"{simulator.pim.url}/")

    assert icon.headers["Content-Type"] == "image/svg+xml"
    assert icon.text.startswith("<svg")
    assert f'<link rel="icon" href="{FAVICON_PATH}"' in page.text


def test_a_saved_state_brings_back_the_catalogue_the_connection_and_the_user(
    browser: Browser, simulator: PimSimulator, pim_b: FakePim, tmp_path: Path
) -> None:
    browser.get(allow(browser, simulator).headers["Location"])
    product = simulator.pim.catalogue.products[simulator.pim.catalogue.product_order[0]]
    product.enabled = not product.enabled
    setup = SetupSecrets.new()

    save_state(tmp_path, simulator, setup)
    state = load_state(tmp_path)
    assert state is not None
    again = PimSimulator(pim_b, app_name=APP_NAME, activate_url="http://testserver/activate")
    restore(again, state)

    assert stat.S_IMODE((tmp_path / STATE_FILE).stat().st_mode) == 0o600
    assert state["secrets"] == setup
    assert again.pim.tokens == simulator.pim.tokens
    assert again.pim.user == simulator.pim.user
    assert again.pim.catalogue.products[product.uuid].enabled is product.enabled
    assert again.pim.catalogue.product_order == simulator.pim.catalogue.product_order


def test_a_new_data_folder_has_no_state(tmp_path: Path) -> None:
    assert load_state(tmp_path) is None


@pytest.mark.parametrize("content", ["{not json", '{"format": 1}', '["a list"]'])
def test_a_damaged_state_is_refused_with_the_files_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    (tmp_path / STATE_FILE).write_text(content)

    code = main(["--data", str(tmp_path), "--pim-port", str(free_port())])

    assert code == 1
    message = f"{tmp_path / STATE_FILE} is not a state saved by this simulator"
    assert message in capsys.readouterr().err


def is_listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_one_command_serves_both_and_ctrl_c_stops_both(tmp_path: Path) -> None:
    pim_port, app_port = free_port(), free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AKENEO_")}
    log = tmp_path / "simulator.log"
    with log.open("wb") as output:
        command = subprocess.Popen(
            [sys.executable, "-m", "tests.pim_simulator"]
            + ["--pim-port", str(pim_port), "--app-port", str(app_port)],
            cwd=tmp_path,  # no .env: the command gives the App everything it needs
            env={**environment, "PYTHONPATH": f"{PROJECT / 'src'}{os.pathsep}{PROJECT}"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while "click Connect" not in log.read_text() and command.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        card = httpx.get(f"http://localhost:{pim_port}/", timeout=5)
        activation = httpx.get(
            f"http://127.0.0.1:{app_port}/activate",
            params={"pim_url": f"http://localhost:{pim_port}"},
            timeout=5,
        )
    finally:
        command.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            command.wait(20)
        except subprocess.TimeoutExpired:
            command.kill()
            command.wait()

    assert f"Open http://localhost:{pim_port} and click Connect." in log.read_text()
    assert APP_NAME in card.text
    assert activation.status_code == 302
    assert urlsplit(activation.headers["Location"]).netloc == f"localhost:{pim_port}"
    assert command.returncode == 0
    assert not is_listening(pim_port)
    assert not is_listening(app_port)
