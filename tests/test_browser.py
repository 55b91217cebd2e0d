"""A baked project's one command, used in a real browser: the PIM simulator and the App.

Each test bakes a project with all the defaults (empty credentials), runs
`python -m tests.pim_simulator` in it, and drives headless Chromium through the pages a PIM user
sees, checking each page with axe-core and saving screenshots at 1280 and 375 pixels wide into a
folder whose path it prints.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import VARIANTS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_SECONDS = 60
STOP_SECONDS = 20
WIDTHS = (1280, 375)
AUTHORIZE_PATH = "/connect/apps/v1/authorize"
APP_NAME = "Akeneo Start App"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def is_listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Simulator:
    """The one command running in a baked project: the PIM simulator and the App."""

    variant: str
    process: subprocess.Popen[bytes]
    pim_port: int
    app_port: int
    log: Path

    @property
    def pim_url(self) -> str:
        return f"http://localhost:{self.pim_port}"

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    def wait_until_ready(self) -> None:
        banner = f"Open {self.pim_url} and click Connect."
        deadline = time.monotonic() + START_SECONDS
        while banner not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the simulator did not start:\n{self.log.read_text()}")
            time.sleep(0.2)

    def stop(self) -> int:
        """Ctrl-C, as in a terminal (the whole process group); killed if it does not stop."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


@pytest.fixture(params=list(VARIANTS))
def simulator(request: pytest.FixtureRequest, cookies, tmp_path: Path) -> Iterator[Simulator]:
    result = cookies.bake(extra_context=VARIANTS[request.param])
    assert result.exit_code == 0, result.exception
    project = Path(result.project_path)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AKENEO_")}
    log = tmp_path / "simulator.log"
    pim_port, app_port = free_port(), free_port()
    command = [
        sys.executable,
        "-m",
        "tests.pim_simulator",
        "--pim-port",
        str(pim_port),
        "--app-port",
        str(app_port),
        "--first-name",
        "Ada",
        "--last-name",
        "Lovelace",
        "--email",
        "ada@example.com",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=project,
            # As after `pip install -e .`: the App's package is importable.
            env={**environment, "PYTHONPATH": str(project / "src")},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Simulator(request.param, process, pim_port, app_port, log)
    try:
        running.wait_until_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Visitor:
    """One browser tab that checks and photographs every page it lands on."""

    page: Page
    folder: Path
    requests: list[str] = field(default_factory=list)
    shots: int = 0

    def __post_init__(self) -> None:
        self.page.on("request", lambda request: self.requests.append(request.url))

    def check(self, name: str) -> None:
        """No serious or critical axe-core violation; screenshots at every width."""
        results = Axe().run(self.page)
        serious = [
            f"{violation['id']} ({violation['impact']}): "
            + ", ".join(str(node["target"]) for node in violation["nodes"])
            for violation in results.response["violations"]
            if violation["impact"] in ("serious", "critical")
        ]
        assert not serious, f"{self.page.url}: {serious}"
        self.shots += 1
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 800})
            path = self.folder / f"{self.shots:02d}-{name}-{width}.png"
            self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size({"width": WIDTHS[0], "height": 800})


@pytest.fixture
def visitor(chromium: Browser, tmp_path: Path) -> Iterator[Visitor]:
    folder = tmp_path / "screenshots"
    folder.mkdir()
    print(f"Screenshots: {folder}")
    context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 800})
    context.set_default_timeout(15_000)
    try:
        yield Visitor(context.new_page(), folder)
    finally:
        context.close()


def connect(visitor: Visitor, simulator: Simulator, name: str) -> None:
    """From the simulator's App Store: Connect, check the consent screen, stop before choosing."""
    page = visitor.page
    page.goto(simulator.pim_url)
    page.get_by_role("link", name="Connect", exact=True).click()
    page.wait_for_url(re.compile(re.escape(simulator.pim_url + AUTHORIZE_PATH)))
    expect(page).to_have_title(re.compile(APP_NAME))
    expect(page.locator("main")).to_contain_text("read_channel_settings")
    expect(page.locator("main")).to_contain_text("read_channel_localization")
    if VARIANTS[simulator.variant]["openid_connect"]:
        expect(page.locator("main")).to_contain_text("Your name: Ada Lovelace")
        expect(page.locator("main")).to_contain_text("Your email: ada@example.com")
    else:
        expect(page.locator("main")).not_to_contain_text("ada@example.com")
    visitor.check(name)


def test_connect_use_disconnect_and_reconnect(simulator: Simulator, visitor: Visitor) -> None:
    page, app = visitor.page, simulator.app_url
    page.goto(simulator.pim_url)
    expect(page).to_have_title(re.compile("App Store"))
    expect(page.locator(".card")).to_contain_text(APP_NAME)
    expect(page.locator(".card .status")).to_have_text("Not connected")
    visitor.check("simulator-not-connected")

    connect(visitor, simulator, "consent")
    page.get_by_role("button", name="Allow and connect").click()
    page.wait_for_url(f"{app}/")
    expect(page).to_have_title(re.compile(APP_NAME))
    expect(page.locator("main")).to_contain_text(simulator.pim_url)
    expect(page.locator(".connection-status")).to_have_text("Connected")
    if VARIANTS[simulator.variant]["openid_connect"]:
        expect(page.locator("main")).to_contain_text("Ada Lovelace")
    visitor.check("app-home-connected")

    page.get_by_role("link", name="See the PIM's channels").click()
    page.wait_for_url(f"{app}/first-api-call")
    for code in ("ecommerce", "mobile", "print"):
        expect(page.locator("table")).to_contain_text(code)
    visitor.check("channels")

    page.goto(simulator.pim_url)
    expect(page.locator(".card .status")).to_have_text("Connected")
    visitor.check("simulator-connected")
    visitor.requests.clear()
    page.get_by_role("link", name="Open app").click()
    page.wait_for_url(f"{app}/")
    expect(page.locator(".connection-status")).to_have_text("Connected")
    assert not [url for url in visitor.requests if AUTHORIZE_PATH in url]  # straight in

    page.goto(simulator.pim_url)
    page.get_by_role("button", name="Disconnect").click()
    expect(page.locator(".card .status")).to_have_text("Disconnected")
    visitor.check("simulator-disconnected")

    answer = page.goto(f"{app}/first-api-call")
    assert answer is not None and answer.status == 401
    expect(page.locator("h1")).to_have_text("The App was disconnected from the PIM")
    expect(page.locator("main")).to_contain_text("What to do")
    visitor.check("channels-after-disconnect")
    page.goto(f"{app}/")
    expect(page.locator(".connection-status")).to_have_text("Disconnected")
    visitor.check("app-home-disconnected")

    connect(visitor, simulator, "consent-again")
    page.get_by_role("button", name="Allow and connect").click()
    page.wait_for_url(f"{app}/")
    expect(page.locator(".connection-status")).to_have_text("Connected")
    page.get_by_role("link", name="See the PIM's channels").click()
    expect(page.locator("table")).to_contain_text("ecommerce")
    visitor.check("channels-after-reconnect")

    assert simulator.stop() == 0
    assert not is_listening(simulator.pim_port)
    assert not is_listening(simulator.app_port)


def test_cancel_on_the_consent_screen_leaves_the_app_unconnected(
    simulator: Simulator, visitor: Visitor
) -> None:
    page, app = visitor.page, simulator.app_url
    connect(visitor, simulator, "consent")
    visitor.requests.clear()

    page.get_by_role("button", name="Cancel").click()

    page.wait_for_url(f"{simulator.pim_url}/")
    expect(page.locator(".card .status")).to_have_text("Not connected")
    assert not [url for url in visitor.requests if url.startswith(app)]  # the App is not called
    visitor.check("simulator-after-cancel")
    page.goto(f"{app}/")
    expect(page.locator(".connection-status")).to_have_text("Not connected")
    visitor.check("app-welcome")
    answer = page.goto(f"{app}/first-api-call")
    assert answer is not None and answer.status == 401
    expect(page.locator("h1")).to_have_text("This browser is not connected to a PIM")
    visitor.check("channels-without-connection")


def test_the_catalogue_pages_an_edit_and_a_second_connection_without_consent(
    simulator: Simulator, visitor: Visitor, chromium: Browser
) -> None:
    page, pim = visitor.page, simulator.pim_url
    page.goto(f"{pim}/products")
    expect(page.locator("h1")).to_have_text("Products")
    expect(page.locator("main")).to_contain_text("2000 products")
    visitor.check("simulator-products")

    page.get_by_label("Family").select_option(label="Kitchen")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr").first).to_contain_text("Kitchen")
    page.get_by_label("Family").select_option(label="All families")
    page.get_by_label("Search").fill("SKU-000500")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    page.get_by_role("link", name="SKU-000500").click()
    expect(page.locator("main")).to_contain_text("Values per channel and locale")
    visitor.check("simulator-product")

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Name (en_US)").fill("Reading chair")
    visitor.check("simulator-product-edit")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".notice")).to_have_text("Saved.")
    expect(page.locator("h1")).to_have_text("Reading chair")
    visitor.check("simulator-product-saved")

    page.goto(f"{pim}/catalogue")
    expect(page.locator(".counts")).to_contain_text("Products")
    visitor.check("simulator-catalogue")

    connect(visitor, simulator, "consent")
    page.get_by_role("button", name="Allow and connect").click()
    page.wait_for_url(f"{simulator.app_url}/")
    page.goto(f"{pim}/connected-apps")
    expect(page.locator("main")).to_contain_text("read_channel_settings")
    expect(page.get_by_role("button", name="Disconnect")).to_be_visible()
    visitor.check("simulator-connected-apps")

    # Another browser (no session with the App) opens it: the PIM skips its consent screen.
    other = chromium.new_context()
    try:
        second = other.new_page()
        seen: list[str] = []
        second.on("request", lambda request: seen.append(request.url))
        second.goto(pim)
        second.get_by_role("link", name="Open app").click()
        second.wait_for_url(f"{simulator.app_url}/")
        expect(second.locator(".connection-status")).to_have_text("Connected")
        assert [url for url in seen if AUTHORIZE_PATH in url]  # it asked the PIM again...
        expect(second.get_by_role("button", name="Allow and connect")).to_have_count(0)
    finally:
        other.close()
