"""The catalogue's data: plain dataclasses and the PIM's standard-format dicts.

Structure (channels, attributes, families, categories...) is kept as the dicts the API answers,
keyed by code. Products keep the fields every filter reads; their values stay unbuilt (None)
until something reads them, so a catalogue of 100,000 products is made in well under a second.
"""

from dataclasses import dataclass, field
from typing import Any

Item = dict[str, Any]
Values = dict[str, list[Item]]


@dataclass(slots=True)
class Product:
    uuid: str
    identifier: str
    family: str | None
    parent: str | None
    categories: list[str]
    enabled: bool
    created: str
    updated: str
    values: Values | None = None
    """None until first read: then built from the seed and the product's ``number``."""
    number: int = -1
    """Its place in the seeded catalogue (-1: created through the API)."""
    groups: list[str] = field(default_factory=list)
    associations: Item = field(default_factory=dict)


@dataclass
class ProductModel:
    code: str
    family: str
    family_variant: str
    parent: str | None
    categories: list[str]
    created: str
    updated: str
    values: Values | None = None
    """None until first read: then built from the seed and the model's ``number``."""
    number: int = -1
    associations: Item = field(default_factory=dict)


@dataclass
class MediaFile:
    code: str
    original_filename: str
    mime_type: str
    content: bytes

    @property
    def extension(self) -> str:
        return self.original_filename.rpartition(".")[2].lower()


@dataclass
class Catalog:
    """A catalog of Catalogs for Apps, owned by the App (client id) that created it."""

    id: str
    name: str
    owner: str
    enabled: bool = False
    managed_currencies: list[str] | None = None
    managed_locales: list[str] | None = None
    mapping_schema: Item | None = None


@dataclass
class Catalogue:
    """Everything behind the fake PIM's REST API, for one PIM."""

    seed: int
    channels: dict[str, Item]
    locales: dict[str, Item]
    currencies: dict[str, Item]
    measurement_families: dict[str, Item]
    attribute_groups: dict[str, Item]
    attributes: dict[str, Item]
    options: dict[str, dict[str, Item]]
    """Attribute code -> option code -> option."""
    families: dict[str, Item]
    variants: dict[str, dict[str, Item]]
    """Family code -> family variant code -> family variant."""
    categories: dict[str, Item]
    product_models: dict[str, ProductModel]
    products: dict[str, Product]
    """By UUID."""
    product_order: list[str]
    """Every product's UUID, sorted: the order of lists and of ``search_after``."""
    identifiers: dict[str, str] = field(default_factory=dict)
    """Identifier -> UUID."""
    media: dict[str, MediaFile] = field(default_factory=dict)
    """Uploaded files (seeded images are drawn when downloaded)."""
    catalogs: dict[str, Catalog] = field(default_factory=dict)
