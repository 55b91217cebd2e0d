"""The welcome page shows the configuration as it is, and offers to connect the allowed PIMs."""

import dataclasses
import html
import re
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet

from {{ cookiecutter.package_name }}.settings import Settings, load_settings
from tests.conftest import Browser
from tests.fake_pim import FakePim

CONNECT_LINK = re.compile(r'<a class="button connect" href="([^"]+)">Connect to ([^<]+)</a>')


def connect_links(text: str) -> list[tuple[str, str]]:
    return [(html.unescape(href), label) for href, label in CONNECT_LINK.findall(text)]


def test_a_configured_app_offers_to_connect_its_pim(
    make_browser: Callable[..., Browser], settings: Settings, pim_a: FakePim
) -> None:
    browser = make_browser(dataclasses.replace(settings, allowed_pim_urls=(pim_a.url,)))

    page = browser.get("/")

    [(link, label)] = connect_links(page.text)
    assert label == pim_a.url
    assert link.endswith("/activate?pim_url=https%3A%2F%2Fpim-a.example.test")
    assert "Copy the client id" not in page.text
    activation = browser.get(link)
    assert activation.location.startswith(f"{pim_a.url}/connect/apps/v1/authorize?")


def test_a_configured_app_for_any_pim_says_to_open_it_from_the_pim(browser: Browser) -> None:
    page = browser.get("/")

    assert connect_links(page.text) == []
    assert "It accepts any PIM" in page.text
    assert "empty: any PIM may connect" in page.text
    assert "Copy the client id" not in page.text


def test_missing_credentials_are_shown_with_the_file_to_fill(
    make_browser: Callable[..., Browser], settings: Settings, pim_a: FakePim, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    unconfigured = dataclasses.replace(
        settings, client_secret="", allowed_pim_urls=(pim_a.url,), env_file=env_file
    )

    page = make_browser(unconfigured).get("/")

    assert connect_links(page.text) == []
    assert re.search(r"<code>AKENEO_CLIENT_ID</code></dt>\s*<dd>set</dd>", page.text)
    assert re.search(
        r"<code>AKENEO_CLIENT_SECRET</code></dt>\s*<dd><strong>missing</strong>", page.text
    )
    assert f"the PIM shows into\n    <code>{env_file}</code>" in page.text
    assert "<code>AKENEO_CLIENT_SECRET=</code>" in page.text
    assert "<code>AKENEO_CLIENT_ID=</code>" not in page.text


def test_an_unconfigured_app_says_how_to_try_it_without_a_pim(
    make_browser: Callable[..., Browser], settings: Settings
) -> None:
    page = make_browser(dataclasses.replace(settings, client_secret="")).get("/")

    assert "No PIM at hand?" in page.text
    assert "<code>.venv/bin/python -m tests.pim_simulator</code>" in page.text


def test_a_configured_app_does_not_offer_the_simulator(browser: Browser) -> None:
    assert "No PIM at hand?" not in browser.get("/").text


def test_the_page_says_where_the_settings_come_from(
    make_browser: Callable[..., Browser], settings: Settings, tmp_path: Path
) -> None:
    from_file = make_browser(dataclasses.replace(settings, env_file=tmp_path / ".env"))

    assert f'<dd id="env-file"><code>{tmp_path / ".env"}</code></dd>' in from_file.get("/").text
    assert "there is no <code>.env</code>" in make_browser().get("/").text


def test_the_page_says_localhost_urls_work_from_the_same_machine(browser: Browser) -> None:
    page = browser.get("/")

    assert "These URLs work when your browser runs on the machine of the App" in page.text
    assert "it never calls the App" in page.text


def test_settings_record_the_env_file_they_were_read_from(tmp_path: Path) -> None:
    keys = {"SECRET_KEY": "k" * 40, "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    env_file = tmp_path / ".env"
    env_file.write_text("AKENEO_CLIENT_ID=from-the-file\nAKENEO_SCOPES=read_products\n")

    from_file = load_settings(keys, env_file=env_file)

    assert (from_file.env_file, from_file.client_id) == (env_file, "from-the-file")
    assert load_settings(keys, env_file=tmp_path / "absent.env").env_file is None


def test_the_favicon_is_not_a_404(browser: Browser) -> None:
    page = browser.get("/favicon.ico")

    assert page.status == 204
    assert page.text == ""


def test_in_production_the_welcome_page_shows_no_configuration(
    make_browser: Callable[..., Browser], settings: Settings, pim_a: FakePim, tmp_path: Path
) -> None:
    public = dataclasses.replace(
        settings,
        environment="production",
        app_url="https://akeneo-app.example.test",
        allowed_pim_urls=(pim_a.url,),
        env_file=tmp_path / ".env",
    )

    page = make_browser(public).get("/", headers={"Host": "akeneo-app.example.test"})

    assert page.status == 200
    assert "Open it from your PIM" in page.text
    assert "https://akeneo-app.example.test/activate" in page.text
    for private in (str(tmp_path), pim_a.url, "AKENEO_", "SECRET", ".env", "Configuration"):
        assert private not in page.text, private
    assert connect_links(page.text) == []


def test_in_production_missing_credentials_are_not_named_on_any_page(
    make_browser: Callable[..., Browser], settings: Settings, pim_a: FakePim
) -> None:
    unconfigured = dataclasses.replace(
        settings,
        environment="production",
        app_url="https://akeneo-app.example.test",
        client_secret="",
    )
    browser = make_browser(unconfigured)
    host = {"Host": "akeneo-app.example.test"}

    welcome = browser.get("/", headers=host)
    activation = browser.get("/activate", {"pim_url": pim_a.url}, headers=host)

    assert "It is not ready to connect PIMs yet" in welcome.text
    assert activation.status == 503
    assert "The App is not configured yet" in activation.text
    for page in (welcome, activation):
        assert "AKENEO_CLIENT" not in page.text
        assert ".env" not in page.text
