"""The simulator's catalogue pages: the product grid, a product, its edit form, the catalogue's
counts with the App's catalogs, and the connected App."""

import re
from urllib.parse import urlencode

import httpx
import pytest

from {{ cookiecutter.package_name }} import APP_NAME
from tests.fake_pim import FakePim
from tests.pim_simulator import FORM_FIELD, PimSimulator
from tests.simulator_pages import CATALOGUE_PATH, CONNECTED_APPS_PATH, PAGE_SIZE, PRODUCTS_PATH

_FORM_TOKEN = re.compile(rf'name="{FORM_FIELD}" value="([^"]+)"')
_ROW = re.compile(r'<tr><td><a href="/products/([0-9a-f-]+)">')


@pytest.fixture
def simulator(pim_a: FakePim) -> PimSimulator:
    return PimSimulator(pim_a, app_name=APP_NAME, activate_url="http://testserver/activate")


def get(simulator: PimSimulator, path: str, **params: str) -> httpx.Response:
    response = simulator.handle(httpx.Request("GET", f"{simulator.pim.url}{path}", params=params))
    response.read()
    return response


def post(simulator: PimSimulator, path: str, form: list[tuple[str, str]]) -> httpx.Response:
    token = _FORM_TOKEN.search(get(simulator, "/").text)
    assert token is not None
    content = urlencode([(FORM_FIELD, token[1]), *form])
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = simulator.handle(
        httpx.Request("POST", f"{simulator.pim.url}{path}", content=content, headers=headers)
    )
    response.read()
    return response


def listed(page: httpx.Response) -> list[str]:
    return _ROW.findall(page.text)


def test_the_grid_shows_a_page_of_products_and_links_to_the_next(simulator: PimSimulator) -> None:
    page = get(simulator, PRODUCTS_PATH)

    assert page.status_code == 200
    assert listed(page) == simulator.pim.catalogue.product_order[:PAGE_SIZE]
    assert "2000 products" in page.text
    assert f"Page 1 of {2000 // PAGE_SIZE}" in page.text
    assert 'rel="next">Next page</a>' in page.text


def test_the_grid_finds_a_product_by_its_sku(simulator: PimSimulator) -> None:
    page = get(simulator, PRODUCTS_PATH, q="sku-000042")

    [key] = listed(page)
    assert simulator.pim.catalogue.products[key].identifier == "SKU-000042"


def test_the_grid_filters_by_family_and_category(simulator: PimSimulator) -> None:
    catalogue = simulator.pim.catalogue
    kitchen = get(simulator, PRODUCTS_PATH, family="kitchen")
    home = get(simulator, PRODUCTS_PATH, category="home_kitchen", page="1")

    assert listed(kitchen)
    assert all(catalogue.products[key].family == "kitchen" for key in listed(kitchen))
    assert all("home_kitchen" in catalogue.products[key].categories for key in listed(home))
    assert '<option value="kitchen" selected>' in kitchen.text


def test_a_product_page_shows_its_values_per_channel_and_locale(simulator: PimSimulator) -> None:
    product = next(p for p in simulator.pim.catalogue.products.values() if not p.parent)

    page = get(simulator, f"{PRODUCTS_PATH}/{product.uuid}")

    assert page.status_code == 200
    assert product.identifier in page.text
    assert re.search(r"<th scope=\"row\">Description</th><td>print</td><td>fr_FR</td>", page.text)
    assert '<img src="/_simulator/media/' in page.text


def test_an_image_of_the_product_page_is_served(simulator: PimSimulator) -> None:
    product = next(p for p in simulator.pim.catalogue.products.values() if not p.parent)
    source = re.search(
        r'<img src="([^"]+)"', get(simulator, f"{PRODUCTS_PATH}/{product.uuid}").text
    )
    assert source is not None

    image = get(simulator, source[1])

    assert image.headers["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


def test_an_unknown_file_is_a_404(simulator: PimSimulator) -> None:
    assert get(simulator, "/_simulator/media/a/b/c/d/nothing.png").status_code == 404


def edit_fields(simulator: PimSimulator, key: str) -> dict[str, str]:
    """The edit form's text fields by their label."""
    form = get(simulator, f"{PRODUCTS_PATH}/{key}/edit").text
    return dict(re.findall(r'<label>([^<]+) <input type="text" name="(v\d+)"', form))


def test_an_edit_changes_values_status_and_categories_and_the_updated_time(
    simulator: PimSimulator,
) -> None:
    pim = simulator.pim
    product = next(p for p in pim.catalogue.products.values() if p.family == "kitchen")
    before = product.updated
    pim.advance(5 * 365 * 24 * 3600)  # past every seeded date, whatever the clock says
    field = edit_fields(simulator, product.uuid)["Name (fr_FR)"]

    saved = post(
        simulator,
        f"{PRODUCTS_PATH}/{product.uuid}/edit",
        [
            (field, "Bouilloire neuve"),
            ("categories", "home_kitchen"),
            ("categories", "sale_bundles"),
        ],
    )
    after = pim.catalogue.products[product.uuid]
    page = get(simulator, f"{PRODUCTS_PATH}/{product.uuid}", saved="1")

    assert saved.status_code == 303
    assert after.enabled is False  # the box was not ticked
    assert after.categories == ["home_kitchen", "sale_bundles"]
    assert {"locale": "fr_FR", "scope": None, "data": "Bouilloire neuve"} in after.values["name"]
    assert after.updated > before
    assert "Saved." in page.text


def test_a_refused_edit_shows_the_pims_message_and_changes_nothing(simulator: PimSimulator) -> None:
    product = next(
        p for p in simulator.pim.catalogue.products.values() if p.family == "electronics"
    )
    before = simulator.pim.catalogue.products[product.uuid]
    field = edit_fields(simulator, product.uuid)["Stock quantity"]

    answer = post(simulator, f"{PRODUCTS_PATH}/{product.uuid}/edit", [(field, "many")])

    assert answer.status_code == 422
    assert "Property &quot;stock_quantity&quot; expects a numeric as data" in answer.text
    assert simulator.pim.catalogue.products[product.uuid] is before


def test_an_edit_from_another_site_is_refused(simulator: PimSimulator) -> None:
    key = simulator.pim.catalogue.product_order[0]
    forged = simulator.handle(
        httpx.Request(
            "POST", f"{simulator.pim.url}{PRODUCTS_PATH}/{key}/edit", data={"enabled": ""}
        )
    )

    assert forged.status_code == 403
    assert simulator.pim.catalogue.products[key].values is None  # never even read


def test_an_unknown_product_is_a_404_page(simulator: PimSimulator) -> None:
    assert get(simulator, f"{PRODUCTS_PATH}/nothing").status_code == 404


def test_the_catalogue_page_counts_and_enables_the_apps_catalogs(simulator: PimSimulator) -> None:
    pim = simulator.pim
    token = pim.grant(("read_catalogs", "write_catalogs"))
    api = httpx.Client(
        transport=httpx.MockTransport(pim.handle), headers={"Authorization": f"Bearer {token}"}
    )
    catalog = api.post(f"{pim.url}/api/rest/v1/catalogs", json={"name": "Web shop"}).json()

    page = get(simulator, CATALOGUE_PATH)
    switched = post(simulator, f"/_simulator/catalogs/{catalog['id']}", [])
    uuids = api.get(f"{pim.url}/api/rest/v1/catalogs/{catalog['id']}/product-uuids")

    assert '<tr><th scope="row">Products</th><td>2000</td></tr>' in page.text
    assert "Web shop" in page.text
    assert switched.status_code == 303
    assert len(uuids.json()["_embedded"]["items"]) == 100


def test_the_connected_apps_page_shows_the_granted_scopes_and_disconnects(
    simulator: PimSimulator,
) -> None:
    before = get(simulator, CONNECTED_APPS_PATH)
    simulator.pim.grant(("read_products", "read_channel_settings"))
    after = get(simulator, CONNECTED_APPS_PATH)

    assert "No App is connected" in before.text
    assert "View products <code>read_products</code>" in after.text
    assert "View channel settings <code>read_channel_settings</code>" in after.text
    assert ">Disconnect</button>" in after.text
