"""The fake PIM's catalogue and REST API (everything under ``/api/rest/v1``).

One module per resource family (``structure``, ``products``, ``media``, ``catalogs``), data in
plain dataclasses (``model``), made deterministically from a seed (``seed``). ``CatalogApi``
answers an ``httpx.Request`` with an ``httpx.Response``, so the same code serves the generated
tests in-process (``httpx.MockTransport``-style) and the simulator over HTTP.
"""

import httpx

from . import catalogs, media, products, structure
from .model import Catalog, Catalogue, Product, ProductModel
from .routes import Pim, Router
from .seed import DEFAULT_PRODUCTS, DEFAULT_SEED, DEMO_CHANNELS, build_catalogue

API_PREFIX = "/api/rest/v1/"


def _router() -> Router:
    router = Router()
    for family in (structure, products, media, catalogs):
        family.register(router)
    return router


class CatalogApi:
    """The REST API of ``pim`` over a catalogue built on first use (``--products`` of them)."""

    def __init__(
        self, pim: Pim, *, seed: int = DEFAULT_SEED, products: int = DEFAULT_PRODUCTS
    ) -> None:
        self.pim = pim
        self.seed = seed
        self.product_count = products
        self._catalogue: Catalogue | None = None
        self._router = _router()

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = build_catalogue(self.seed, self.product_count)
        return self._catalogue

    @catalogue.setter
    def catalogue(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    def handle(self, request: httpx.Request, scopes: frozenset[str]) -> httpx.Response | None:
        """The API's answer for an authenticated request; None for a path it does not know."""
        if not request.url.path.startswith(API_PREFIX):
            return None
        return self._router.route(request, self.catalogue, self.pim, scopes)


__all__ = [
    "DEFAULT_PRODUCTS",
    "DEFAULT_SEED",
    "DEMO_CHANNELS",
    "CatalogApi",
    "Catalog",
    "Catalogue",
    "Product",
    "ProductModel",
    "build_catalogue",
]
