"""A catalogue as JSON and back, so that a simulator started with ``--data`` keeps its changes.

Seeded values that nobody read or changed stay out of the file (``values`` null): they are
made again from the seed, identically, when read after the restart.
"""

import base64
import dataclasses
from typing import Any

from .model import Catalog, Catalogue, MediaFile, Product, ProductModel

FORMAT = 1
_STRUCTURE = (
    "channels", "locales", "currencies", "measurement_families", "attribute_groups",
    "attributes", "options", "families", "variants", "categories",
)  # fmt: skip


def catalogue_to_json(catalogue: Catalogue) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "seed": catalogue.seed,
        **{name: getattr(catalogue, name) for name in _STRUCTURE},
        "product_models": [dataclasses.asdict(m) for m in catalogue.product_models.values()],
        "products": [dataclasses.asdict(catalogue.products[k]) for k in catalogue.product_order],
        "media": [
            {**dataclasses.asdict(m), "content": base64.b64encode(m.content).decode()}
            for m in catalogue.media.values()
        ],
        "catalogs": [dataclasses.asdict(c) for c in catalogue.catalogs.values()],
    }


def catalogue_from_json(saved: dict[str, Any]) -> Catalogue:
    """The catalogue of ``catalogue_to_json``; ValueError when the file is not one."""
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ValueError("not a catalogue saved by this simulator")
    try:
        products = [Product(**product) for product in saved["products"]]
        catalogue = Catalogue(
            seed=saved["seed"],
            **{name: saved[name] for name in _STRUCTURE},
            product_models={m["code"]: ProductModel(**m) for m in saved["product_models"]},
            products={product.uuid: product for product in products},
            product_order=sorted(product.uuid for product in products),
            identifiers={product.identifier: product.uuid for product in products},
            media={
                m["code"]: MediaFile(**{**m, "content": base64.b64decode(m["content"])})
                for m in saved["media"]
            },
            catalogs={c["id"]: Catalog(**c) for c in saved["catalogs"]},
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"the saved catalogue is damaged ({error})") from None
    return catalogue
