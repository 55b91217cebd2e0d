"""The simulator's catalogue pages: a product grid, product pages with an edit form, the
catalogue's counts with the App's catalogs, and the connected App with its scopes.

Edits go through the fake PIM's own REST API (a PATCH on the product), so they are checked
and stamped (``updated``) exactly as an App's writes are.
"""

import html
import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx

from tests.fake_catalog.answers import ApiError
from tests.fake_catalog.media import find
from tests.fake_catalog.model import Product
from tests.fake_catalog.products import all_categories, all_values
from tests.fake_catalog.routes import Call
from tests.fake_catalog.seed import LOCALES, product_values

if TYPE_CHECKING:
    from tests.pim_simulator import PimSimulator

PRODUCTS_PATH = "/products"
CATALOGUE_PATH = "/catalogue"
CONNECTED_APPS_PATH = "/connected-apps"
MEDIA_PREFIX = "/_simulator/media/"
CATALOG_PREFIX = "/_simulator/catalogs/"
PAGE_SIZE = 25
MAX_EDIT_BYTES = 64 * 1024
EDITABLE = {
    "pim_catalog_text",
    "pim_catalog_textarea",
    "pim_catalog_number",
    "pim_catalog_boolean",
    "pim_catalog_simpleselect",
    "pim_catalog_date",
}
NAV = (
    ("/", "App Store"),
    (PRODUCTS_PATH, "Products"),
    (CATALOGUE_PATH, "Catalogue"),
    (CONNECTED_APPS_PATH, "Connected apps"),
)

Page = Callable[[httpx.Request], httpx.Response]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def option(value: str, text: str, selected: bool) -> str:
    chosen = " selected" if selected else ""
    return f'<option value="{_e(value)}"{chosen}>{_e(text)}</option>'


def label(item: dict[str, Any], locale: str = "en_US") -> str:
    labels = item.get("labels") or {}
    return str(labels.get(locale) or item["code"])


class CataloguePages:
    """The pages; ``route()`` answers the requests that are theirs (None for the others)."""

    def __init__(self, simulator: "PimSimulator") -> None:
        self.simulator = simulator

    @property
    def catalogue(self) -> Any:
        return self.simulator.pim.catalogue

    def route(self, request: httpx.Request) -> httpx.Response | None:
        path, method = request.url.path, request.method
        if path == PRODUCTS_PATH and method == "GET":
            return self.grid(request)
        if path == CATALOGUE_PATH and method == "GET":
            return self.counts(request)
        if path == CONNECTED_APPS_PATH and method == "GET":
            return self.connected_apps(request)
        if path.startswith(MEDIA_PREFIX) and method == "GET":
            return self.media(path.removeprefix(MEDIA_PREFIX))
        if path.startswith(CATALOG_PREFIX) and method == "POST":
            return self.switch_catalog(request, path.removeprefix(CATALOG_PREFIX))
        if path.startswith(f"{PRODUCTS_PATH}/"):
            key, _, action = path.removeprefix(f"{PRODUCTS_PATH}/").partition("/")
            product = self.catalogue.products.get(key)
            if product is None:
                return self.simulator._error(
                    404, "No such product", "It was deleted, or the link is wrong."
                )
            if action == "" and method == "GET":
                return self.product(request, product)
            if action == "edit" and method == "GET":
                return self.edit_form(product)
            if action == "edit" and method == "POST":
                return self.save(request, product)
        return None

    # -- the grid -------------------------------------------------------------------------------

    def grid(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        query = params.get("q", "").strip()
        family = params.get("family", "")
        category = params.get("category", "")
        try:
            page = max(1, int(params.get("page", "1")))
        except ValueError:
            page = 1
        catalogue = self.catalogue
        products = [catalogue.products[key] for key in catalogue.product_order]
        if family:
            products = [p for p in products if p.family == family]
        if category:
            inside = self._descendants(category)
            products = [
                p
                for p in products
                if inside & set(all_categories(catalogue, p.categories, p.parent))
            ]
        if query:
            needle = query.lower()
            products = [
                p
                for p in products
                if needle in p.identifier.lower() or needle in self._name(p).lower()
            ]
        pages = max(1, math.ceil(len(products) / PAGE_SIZE))
        page = min(page, pages)
        shown = products[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        rows = "".join(self._row(p) for p in shown) or (
            '<tr><td colspan="5">No product matches these filters.</td></tr>'
        )
        families = "".join(
            option(code, label(f), code == family) for code, f in catalogue.families.items()
        )
        categories = "".join(
            option(code, self._category_path(code), code == category)
            for code in catalogue.categories
        )
        kept = {"q": query, "family": family, "category": category}

        def link(number: int, text: str, rel: str) -> str:
            href = f"{PRODUCTS_PATH}?{urlencode({**kept, 'page': number})}"
            return f'<a href="{_e(href)}" rel="{rel}">{text}</a>'

        paging = [f"<span>Page {page} of {pages}</span>"]
        if page > 1:
            paging.insert(0, link(page - 1, "Previous page", "prev"))
        if page < pages:
            paging.append(link(page + 1, "Next page", "next"))
        body = f"""
<h1>Products</h1>
<form class="filters" method="get" action="{PRODUCTS_PATH}" role="search">
  <label>Search <input type="search" name="q" value="{_e(query)}" placeholder="SKU or name"></label>
  <label>Family <select name="family"><option value="">All families</option>{families}
    </select></label>
  <label>Category <select name="category"><option value="">All categories</option>{categories}
    </select></label>
  <button>Filter</button>
</form>
<p class="count">{len(products)} products</p>
<div class="table-wrap">
<table class="grid stack">
  <thead><tr><th scope="col">SKU</th><th scope="col">Name</th><th scope="col">Family</th>
    <th scope="col">Status</th><th scope="col">Updated</th></tr></thead>
  <tbody>{rows}</tbody>
</table>
</div>
<nav class="paging" aria-label="Pages">{" ".join(paging)}</nav>"""
        return self.simulator._page("Products", body)

    def _row(self, product: Product) -> str:
        family = self.catalogue.families.get(product.family or "")
        status = "Enabled" if product.enabled else "Disabled"
        return (
            f'<tr><td><a href="{PRODUCTS_PATH}/{product.uuid}">{_e(product.identifier)}</a></td>'
            f"<td>{_e(self._name(product))}</td>"
            f"<td>{_e(label(family) if family else '')}</td>"
            f'<td><span class="status status-{"connected" if product.enabled else "none"}">'
            f"{status}</span></td><td>{_e(product.updated[:16].replace('T', ' '))}</td></tr>"
        )

    def _values(self, product: Product) -> dict[str, list[dict[str, Any]]]:
        catalogue = self.catalogue
        return all_values(catalogue, product_values(catalogue, product), product.parent)

    def _name(self, product: Product) -> str:
        for entry in self._values(product).get("name", []):
            if entry["locale"] == "en_US":
                return str(entry["data"])
        return ""

    def _descendants(self, code: str) -> set[str]:
        found = {code}
        changed = True
        while changed:
            before = len(found)
            found |= {c for c, item in self.catalogue.categories.items() if item["parent"] in found}
            changed = len(found) != before
        return found

    def _category_path(self, code: str) -> str:
        names: list[str] = []
        current: str | None = code
        while current is not None:
            item = self.catalogue.categories[current]
            names.insert(0, label(item))
            current = item["parent"]
        return " / ".join(names)

    # -- one product ----------------------------------------------------------------------------

    def product(self, request: httpx.Request, product: Product) -> httpx.Response:
        catalogue = self.catalogue
        rows: list[str] = []
        for code, entries in sorted(self._values(product).items()):
            attribute = catalogue.attributes.get(code)
            if attribute is None:
                continue
            for entry in entries:
                rows.append(
                    f'<tr><th scope="row">{_e(label(attribute))}</th>'
                    f"<td>{_e(entry['scope'] or 'All channels')}</td>"
                    f"<td>{_e(entry['locale'] or 'All locales')}</td>"
                    f"<td>{self._shown(attribute, entry['data'])}</td></tr>"
                )
        categories = ", ".join(
            self._category_path(c)
            for c in all_categories(catalogue, product.categories, product.parent)
        )
        saved = (
            '<p class="notice" role="status">Saved.</p>' if "saved" in request.url.params else ""
        )
        status = "Enabled" if product.enabled else "Disabled"
        body = f"""
<h1>{_e(self._name(product) or product.identifier)}</h1>
{saved}
<section class="panel" aria-labelledby="about-title">
  <h2 id="about-title">Product</h2>
  <dl>
    <dt>SKU</dt><dd>{_e(product.identifier)}</dd>
    <dt>UUID</dt><dd><code>{_e(product.uuid)}</code></dd>
    <dt>Family</dt><dd>{_e(product.family or "none")}</dd>
    <dt>Parent model</dt><dd>{_e(product.parent or "none")}</dd>
    <dt>Status</dt><dd>{status}</dd>
    <dt>Categories</dt><dd>{_e(categories or "none")}</dd>
    <dt>Updated</dt><dd>{_e(product.updated)}</dd>
  </dl>
  <div class="actions"><a class="button" href="{PRODUCTS_PATH}/{product.uuid}/edit">Edit</a>
    <a class="button secondary" href="{PRODUCTS_PATH}">Back to the products</a></div>
</section>
<section class="panel" aria-labelledby="values-title">
  <h2 id="values-title">Values per channel and locale</h2>
  <div class="table-wrap">
  <table class="grid stack">
    <thead><tr><th scope="col">Attribute</th><th scope="col">Channel</th>
      <th scope="col">Locale</th><th scope="col">Value</th></tr></thead>
    <tbody>{"".join(rows)}</tbody>
  </table>
  </div>
</section>"""
        return self.simulator._page(product.identifier, body)

    def _shown(self, attribute: dict[str, Any], data: Any) -> str:
        kind = attribute["type"].removeprefix("pim_catalog_")
        options = self.catalogue.options.get(attribute["code"], {})
        if kind == "boolean":
            return "Yes" if data else "No"
        if kind == "simpleselect":
            return _e(label(options[data]) if data in options else data)
        if kind == "multiselect":
            return _e(", ".join(label(options[o]) if o in options else str(o) for o in data))
        if kind == "price_collection":
            return _e(", ".join(f"{p['amount']} {p['currency']}" for p in data))
        if kind == "metric":
            return _e(f"{data['amount']} {data['unit']}")
        if kind == "image":
            source = f"{MEDIA_PREFIX}{_e(data)}"
            return f'<img src="{source}" alt="{_e(label(attribute))}" width="64" height="64">'
        if kind == "file":
            return f'<a href="{MEDIA_PREFIX}{_e(data)}">{_e(data.rpartition("_")[2])}</a>'
        if kind == "date":
            return _e(str(data)[:10])
        return _e(data)

    def media(self, code: str) -> httpx.Response:
        catalogue = self.catalogue
        call = Call(
            httpx.Request("GET", "http://simulator/"),
            {},
            catalogue,
            self.simulator.pim,
            frozenset(),
        )
        try:
            media = find(call, code)
        except ApiError:  # the API's 404: no such file
            return httpx.Response(404, text="No such file")
        return httpx.Response(200, headers={"Content-Type": media.mime_type}, content=media.content)

    # -- the edit form --------------------------------------------------------------------------

    def _fields(self, product: Product) -> list[tuple[dict[str, Any], str | None, str | None]]:
        """The editable values of the product: attribute, locale, channel."""
        catalogue = self.catalogue
        family = catalogue.families.get(product.family or "", {"attributes": []})
        fields = []
        for code in family["attributes"]:
            attribute = catalogue.attributes[code]
            if attribute["type"] not in EDITABLE:
                continue
            locales = LOCALES if attribute["localizable"] else (None,)
            scopes = tuple(catalogue.channels) if attribute["scopable"] else (None,)
            fields.extend((attribute, locale, scope) for scope in scopes for locale in locales)
        return fields

    def edit_form(self, product: Product, error: str = "", status: int = 200) -> httpx.Response:
        own = product_values(self.catalogue, product)
        inputs = []
        for number, (attribute, locale, scope) in enumerate(self._fields(product)):
            current = next(
                (
                    e["data"]
                    for e in own.get(attribute["code"], [])
                    if e["locale"] == locale and e["scope"] == scope
                ),
                None,
            )
            where = " ".join(part for part in (scope, locale) if part)
            text = f"{label(attribute)}{f' ({where})' if where else ''}"
            inputs.append(self._input(f"v{number}", text, attribute, current))
        selected = set(product.categories)
        categories = "".join(
            option(code, self._category_path(code), code in selected)
            for code in self.catalogue.categories
        )
        problem = f'<p class="error" role="alert">{_e(error)}</p>' if error else ""
        checked = " checked" if product.enabled else ""
        content = f"""
{problem}
<label class="inline"><input type="checkbox" name="enabled" value="yes"{checked}> Enabled</label>
<label>Categories <select name="categories" multiple size="8">{categories}</select></label>
<div class="fields">{"".join(inputs)}</div>
<div class="actions"><button>Save</button>
  <a class="button secondary" href="{PRODUCTS_PATH}/{product.uuid}">Cancel</a></div>"""
        body = f"""
<h1>Edit {_e(product.identifier)}</h1>
{self.simulator._form(f"{PRODUCTS_PATH}/{product.uuid}/edit", content)}"""
        return self.simulator._page(f"Edit {product.identifier}", body, status)

    def _input(self, name: str, text: str, attribute: dict[str, Any], current: Any) -> str:
        kind = attribute["type"].removeprefix("pim_catalog_")
        if kind == "textarea":
            area = f'<textarea name="{name}" rows="3">{_e(current or "")}</textarea>'
            return f"<label>{_e(text)} {area}</label>"
        if kind in {"boolean", "simpleselect"}:
            if kind == "boolean":
                choices = [("true", "Yes"), ("false", "No")]
                value = "" if current is None else ("true" if current else "false")
            else:
                options = self.catalogue.options.get(attribute["code"], {})
                choices = [(code, label(option)) for code, option in options.items()]
                value = current or ""
            items = "".join(
                option(code, shown, code == value) for code, shown in [("", "(empty)"), *choices]
            )
            return f'<label>{_e(text)} <select name="{name}">{items}</select></label>'
        kind_attr = {"number": "text", "date": "date"}.get(kind, "text")
        value = (
            str(current or "")[:10] if kind == "date" else ("" if current is None else str(current))
        )
        field = f'<input type="{kind_attr}" name="{name}" value="{_e(value)}">'
        return f"<label>{_e(text)} {field}</label>"

    def save(self, request: httpx.Request, product: Product) -> httpx.Response:
        pairs = self.simulator._checked_pairs(request, MAX_EDIT_BYTES)
        if isinstance(pairs, httpx.Response):
            return pairs
        form = dict(pairs)
        values: dict[str, list[dict[str, Any]]] = {}
        for number, (attribute, locale, scope) in enumerate(self._fields(product)):
            raw = form.get(f"v{number}", "").strip()
            values.setdefault(attribute["code"], []).append(
                {"locale": locale, "scope": scope, "data": self._data(attribute, raw)}
            )
        body = {
            "enabled": form.get("enabled") == "yes",
            "categories": [value for name, value in pairs if name == "categories"],
            "values": values,
        }
        pim = self.simulator.pim
        answer = pim.api.handle(
            httpx.Request(
                "PATCH",
                f"{pim.url}/api/rest/v1/products-uuid/{product.uuid}",
                json=body,
                headers={"Accept": "application/json"},
            ),
            frozenset({"write_products"}),
        )
        assert answer is not None
        if answer.status_code >= 400:
            message = json.loads(answer.read()).get("message", "The PIM refused the change.")
            details = json.loads(answer.content).get("errors") or []
            if details:
                message = f"{message} {details[0].get('message', '')}".strip()
            return self.edit_form(self.catalogue.products[product.uuid], message, 422)
        return httpx.Response(303, headers={"Location": f"{PRODUCTS_PATH}/{product.uuid}?saved=1"})

    @staticmethod
    def _data(attribute: dict[str, Any], raw: str) -> Any:
        kind = attribute["type"].removeprefix("pim_catalog_")
        if raw == "":
            return None
        if kind == "boolean":
            return raw == "true"
        if kind == "number":
            try:
                return int(raw)
            except ValueError:
                return raw
        if kind == "date":
            return f"{raw}T00:00:00+00:00"
        return raw

    # -- counts and the App's catalogs ----------------------------------------------------------

    def counts(self, request: httpx.Request) -> httpx.Response:
        catalogue = self.catalogue
        enabled = sum(p.enabled for p in catalogue.products.values())
        variants = sum(len(v) for v in catalogue.variants.values())
        rows = [
            ("Channels", len(catalogue.channels)),
            ("Locales (enabled)", sum(bool(x["enabled"]) for x in catalogue.locales.values())),
            (
                "Currencies (enabled)",
                sum(bool(x["enabled"]) for x in catalogue.currencies.values()),
            ),
            ("Attribute groups", len(catalogue.attribute_groups)),
            ("Attributes", len(catalogue.attributes)),
            ("Attribute options", sum(len(o) for o in catalogue.options.values())),
            ("Families", len(catalogue.families)),
            ("Family variants", variants),
            ("Categories", len(catalogue.categories)),
            ("Product models", len(catalogue.product_models)),
            ("Products", len(catalogue.products)),
            ("Enabled products", enabled),
            ("Uploaded media files", len(catalogue.media)),
        ]
        table = "".join(
            f'<tr><th scope="row">{name}</th><td>{count}</td></tr>' for name, count in rows
        )
        catalogs = []
        for catalog in catalogue.catalogs.values():
            verb = "Disable" if catalog.enabled else "Enable"
            form = self.simulator._form(
                f"{CATALOG_PREFIX}{catalog.id}", f'<button class="secondary">{verb}</button>'
            )
            state = "Enabled" if catalog.enabled else "Disabled"
            catalogs.append(
                f"<tr><td>{_e(catalog.name)}</td><td><code>{_e(catalog.id)}</code></td>"
                f"<td>{state}</td><td>{form}</td></tr>"
            )
        apps_catalogs = (
            '<div class="table-wrap"><table class="grid stack"><thead><tr><th scope="col">Name</th>'
            '<th scope="col">Id</th><th scope="col">Status</th><th scope="col">Action</th></tr>'
            f"</thead><tbody>{''.join(catalogs)}</tbody></table></div>"
            if catalogs
            else "<p>The App has created no catalog yet "
            "(<code>POST /api/rest/v1/catalogs</code>).</p>"
        )
        body = f"""
<h1>Catalogue</h1>
<section class="panel" aria-labelledby="counts-title">
  <h2 id="counts-title">What this PIM holds</h2>
  <table class="counts"><tbody>{table}</tbody></table>
</section>
<section class="panel" aria-labelledby="catalogs-title">
  <h2 id="catalogs-title">The App's catalogs</h2>
  <p>A new catalog is disabled until a PIM user enables it here.</p>
  {apps_catalogs}
</section>"""
        return self.simulator._page("Catalogue", body)

    def switch_catalog(self, request: httpx.Request, catalog_id: str) -> httpx.Response:
        form = self.simulator._checked_form(request)
        if isinstance(form, httpx.Response):
            return form
        catalog = self.catalogue.catalogs.get(catalog_id)
        if catalog is None:
            return self.simulator._error(404, "No such catalog", "The App may have deleted it.")
        catalog.enabled = not catalog.enabled
        return httpx.Response(303, headers={"Location": CATALOGUE_PATH})

    # -- the connected App ----------------------------------------------------------------------

    def connected_apps(self, request: httpx.Request) -> httpx.Response:
        from tests.pim_simulator import DISCONNECT_PATH, describe_scope

        simulator = self.simulator
        scopes = simulator.pim.connection_scopes
        if scopes is None:
            content = (
                f"<p>No App is connected. Connect {_e(simulator.app_name)} from the "
                '<a href="/">App Store</a>.</p>'
            )
        else:
            granted = (
                "".join(
                    f"<li>{_e(describe_scope(scope))} <code>{_e(scope)}</code></li>"
                    for scope in sorted(scopes)
                )
                or "<li>No scope</li>"
            )
            disconnect = simulator._form(
                DISCONNECT_PATH, '<button class="secondary">Disconnect</button>'
            )
            content = f"""
<h2 id="app-title">{_e(simulator.app_name)}</h2>
<p>Granted scopes:</p>
<ul class="scopes">{granted}</ul>
<div class="actions">{disconnect}</div>"""
        body = f"""
<h1>Connected apps</h1>
<section class="panel" aria-label="Connected apps">{content}</section>"""
        return simulator._page("Connected apps", body)
