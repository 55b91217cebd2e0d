"""A realistic catalogue, the same every time for the same seed and number of products.

Nothing is downloaded: words, codes and numbers come from ``random.Random(seed)``. Structure is
small and built at once; products are made in one pass of a few random draws each, and their
values only when first read (``product_values``), so 100,000 products take about a second.
"""

import hashlib
import random
import uuid
from datetime import UTC, datetime, timedelta

from .model import Catalogue, Item, Product, ProductModel, Values

DEFAULT_SEED = 2026
DEFAULT_PRODUCTS = 2000
LOCALES = ("en_US", "fr_FR", "de_DE")
OTHER_LOCALES = ("es_ES", "it_IT", "nl_NL")
CURRENCIES = ("USD", "EUR")
CATALOGUE_START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
MEDIA_PATH = "/api/rest/v1/media-files"
VARIANTS_PER_MODEL = 4
PRODUCTS_PER_MODEL = 25
"""One root product model (with four variant products) for every 25 products."""


def _labels(en: str, fr: str, de: str) -> dict[str, str]:
    return {"en_US": en, "fr_FR": fr, "de_DE": de}


DEMO_CHANNELS: list[Item] = [
    {
        "code": "ecommerce",
        "currencies": ["USD", "EUR"],
        "locales": ["en_US", "de_DE", "fr_FR"],
        "category_tree": "master",
        "conversion_units": {},
        "labels": {"en_US": "Ecommerce", "de_DE": "Ecommerce", "fr_FR": "E-commerce"},
    },
    {
        "code": "mobile",
        "currencies": ["USD", "EUR"],
        "locales": ["de_DE", "en_US"],
        "category_tree": "master",
        "conversion_units": {},
        "labels": {"en_US": "Mobile", "de_DE": "Mobil", "fr_FR": "Mobile"},
    },
    {
        "code": "print",
        "currencies": ["USD", "EUR"],
        "locales": ["fr_FR", "en_US"],
        "category_tree": "master",
        "conversion_units": {},
        "labels": {"en_US": "Print", "de_DE": "Drucken", "fr_FR": "Impression"},
    },
]
"""The channels of Akeneo's demo catalog, as ``GET /api/rest/v1/channels`` lists them."""

_CURRENCY_LABELS = {"USD": "US dollar", "EUR": "euro", "GBP": "British pound"}

_MEASUREMENTS: dict[str, tuple[dict[str, str], str, dict[str, tuple[str, str, str]]]] = {
    # family: labels, standard unit, unit -> (label, factor to the standard unit, symbol)
    "Weight": (
        _labels("Weight", "Poids", "Gewicht"),
        "KILOGRAM",
        {
            "GRAM": ("Gram", "0.001", "g"),
            "KILOGRAM": ("Kilogram", "1", "kg"),
            "POUND": ("Pound", "0.45359237", "lb"),
        },
    ),
    "Length": (
        _labels("Length", "Longueur", "Länge"),
        "METER",
        {
            "CENTIMETER": ("Centimeter", "0.01", "cm"),
            "METER": ("Meter", "1", "m"),
            "INCH": ("Inch", "0.0254", "in"),
        },
    ),
    "Power": (
        _labels("Power", "Puissance", "Leistung"),
        "WATT",
        {"WATT": ("Watt", "1", "W"), "KILOWATT": ("Kilowatt", "1000", "kW")},
    ),
    "Volume": (
        _labels("Volume", "Volume", "Volumen"),
        "CUBIC_METER",
        {"LITER": ("Liter", "0.001", "L"), "MILLILITER": ("Milliliter", "0.000001", "ml")},
    ),
}

_GROUPS = {
    "general": _labels("General", "Général", "Allgemein"),
    "marketing": _labels("Marketing", "Marketing", "Marketing"),
    "technical": _labels("Technical", "Technique", "Technik"),
    "media": _labels("Media", "Médias", "Medien"),
    "erp": _labels("ERP", "ERP", "ERP"),
}

# code: (type, group, localizable, scopable, labels in en/fr/de, extra properties)
_ATTRIBUTES: list[tuple[str, str, str, bool, bool, tuple[str, str, str], Item]] = [
    ("sku", "identifier", "general", False, False, ("SKU", "SKU", "SKU"), {"unique": True}),
    ("name", "text", "general", True, False, ("Name", "Nom", "Name"), {"max_characters": 255}),
    (
        "description",
        "textarea",
        "marketing",
        True,
        True,
        ("Description", "Description", "Beschreibung"),
        {"wysiwyg_enabled": True},
    ),
    (
        "short_description",
        "textarea",
        "marketing",
        True,
        True,
        ("Short description", "Description courte", "Kurzbeschreibung"),
        {},
    ),
    (
        "meta_title",
        "text",
        "marketing",
        True,
        False,
        ("Meta title", "Titre méta", "Meta-Titel"),
        {},
    ),
    (
        "meta_description",
        "textarea",
        "marketing",
        True,
        False,
        ("Meta description", "Description méta", "Meta-Beschreibung"),
        {},
    ),
    (
        "care_instructions",
        "textarea",
        "marketing",
        True,
        False,
        ("Care instructions", "Entretien", "Pflegehinweise"),
        {},
    ),
    ("ean", "text", "erp", False, False, ("EAN", "EAN", "EAN"), {"unique": True}),
    (
        "supplier_reference",
        "text",
        "erp",
        False,
        False,
        ("Supplier reference", "Référence fournisseur", "Lieferantenreferenz"),
        {},
    ),
    ("brand", "simpleselect", "general", False, False, ("Brand", "Marque", "Marke"), {}),
    ("color", "simpleselect", "general", False, False, ("Color", "Couleur", "Farbe"), {}),
    ("size", "simpleselect", "general", False, False, ("Size", "Taille", "Größe"), {}),
    (
        "material",
        "simpleselect",
        "technical",
        False,
        False,
        ("Material", "Matière", "Material"),
        {},
    ),
    (
        "collection",
        "multiselect",
        "marketing",
        False,
        False,
        ("Collection", "Collection", "Kollektion"),
        {},
    ),
    (
        "certifications",
        "multiselect",
        "technical",
        False,
        False,
        ("Certifications", "Certifications", "Zertifizierungen"),
        {},
    ),
    (
        "price",
        "price_collection",
        "erp",
        False,
        False,
        ("Price", "Prix", "Preis"),
        {"decimals_allowed": True},
    ),
    (
        "msrp",
        "price_collection",
        "erp",
        False,
        True,
        ("MSRP", "Prix conseillé", "UVP"),
        {"decimals_allowed": True},
    ),
    (
        "weight",
        "metric",
        "technical",
        False,
        False,
        ("Weight", "Poids", "Gewicht"),
        {"metric_family": "Weight", "default_metric_unit": "KILOGRAM"},
    ),
    (
        "length",
        "metric",
        "technical",
        False,
        False,
        ("Length", "Longueur", "Länge"),
        {"metric_family": "Length", "default_metric_unit": "CENTIMETER"},
    ),
    (
        "width",
        "metric",
        "technical",
        False,
        False,
        ("Width", "Largeur", "Breite"),
        {"metric_family": "Length", "default_metric_unit": "CENTIMETER"},
    ),
    (
        "height",
        "metric",
        "technical",
        False,
        False,
        ("Height", "Hauteur", "Höhe"),
        {"metric_family": "Length", "default_metric_unit": "CENTIMETER"},
    ),
    (
        "power",
        "metric",
        "technical",
        False,
        False,
        ("Power", "Puissance", "Leistung"),
        {"metric_family": "Power", "default_metric_unit": "WATT"},
    ),
    (
        "capacity",
        "metric",
        "technical",
        False,
        False,
        ("Capacity", "Contenance", "Fassungsvermögen"),
        {"metric_family": "Volume", "default_metric_unit": "LITER"},
    ),
    (
        "stock_quantity",
        "number",
        "erp",
        False,
        False,
        ("Stock quantity", "Quantité en stock", "Lagerbestand"),
        {"decimals_allowed": False, "negative_allowed": False},
    ),
    (
        "warranty_years",
        "number",
        "technical",
        False,
        False,
        ("Warranty (years)", "Garantie (ans)", "Garantie (Jahre)"),
        {"decimals_allowed": False, "negative_allowed": False},
    ),
    (
        "rating",
        "number",
        "marketing",
        False,
        False,
        ("Rating", "Note", "Bewertung"),
        {"decimals_allowed": True, "number_min": "0", "number_max": "5"},
    ),
    (
        "eco_friendly",
        "boolean",
        "marketing",
        False,
        False,
        ("Eco-friendly", "Écoresponsable", "Umweltfreundlich"),
        {},
    ),
    (
        "waterproof",
        "boolean",
        "technical",
        False,
        False,
        ("Waterproof", "Imperméable", "Wasserdicht"),
        {},
    ),
    (
        "featured",
        "boolean",
        "marketing",
        False,
        True,
        ("Featured", "En vedette", "Hervorgehoben"),
        {},
    ),
    ("wifi", "boolean", "technical", False, False, ("Wi-Fi", "Wi-Fi", "WLAN"), {}),
    (
        "release_date",
        "date",
        "marketing",
        False,
        False,
        ("Release date", "Date de sortie", "Erscheinungsdatum"),
        {},
    ),
    ("end_of_life", "date", "erp", False, False, ("End of life", "Fin de vie", "Auslaufdatum"), {}),
    (
        "image_1",
        "image",
        "media",
        False,
        False,
        ("Main image", "Image principale", "Hauptbild"),
        {"allowed_extensions": ["png", "jpg"]},
    ),
    (
        "image_2",
        "image",
        "media",
        False,
        False,
        ("Second image", "Deuxième image", "Zweites Bild"),
        {"allowed_extensions": ["png", "jpg"]},
    ),
    (
        "user_manual",
        "file",
        "media",
        True,
        False,
        ("User manual", "Notice", "Bedienungsanleitung"),
        {"allowed_extensions": ["pdf", "txt"]},
    ),
    (
        "datasheet",
        "file",
        "media",
        False,
        False,
        ("Datasheet", "Fiche technique", "Datenblatt"),
        {"allowed_extensions": ["pdf", "txt"]},
    ),
]

_OPTIONS: dict[str, list[tuple[str, tuple[str, str, str]]]] = {
    "brand": [
        (code, (label, label, label))
        for code, label in [
            ("northwind", "Northwind"),
            ("acme", "Acme"),
            ("fjord", "Fjord & Co"),
            ("lumen", "Lumen"),
            ("terra", "Terra"),
            ("velo", "Velo"),
            ("oakline", "Oakline"),
            ("pixelworks", "Pixelworks"),
        ]
    ],
    "color": [
        ("black", ("Black", "Noir", "Schwarz")),
        ("white", ("White", "Blanc", "Weiß")),
        ("red", ("Red", "Rouge", "Rot")),
        ("blue", ("Blue", "Bleu", "Blau")),
        ("green", ("Green", "Vert", "Grün")),
        ("grey", ("Grey", "Gris", "Grau")),
        ("yellow", ("Yellow", "Jaune", "Gelb")),
        ("brown", ("Brown", "Marron", "Braun")),
    ],
    "size": [
        (code, (label, label, label))
        for code, label in [
            ("xs", "XS"),
            ("s", "S"),
            ("m", "M"),
            ("l", "L"),
            ("xl", "XL"),
            ("eu_38", "EU 38"),
            ("eu_40", "EU 40"),
            ("eu_42", "EU 42"),
            ("eu_44", "EU 44"),
        ]
    ],
    "material": [
        ("cotton", ("Cotton", "Coton", "Baumwolle")),
        ("wool", ("Wool", "Laine", "Wolle")),
        ("leather", ("Leather", "Cuir", "Leder")),
        ("steel", ("Steel", "Acier", "Stahl")),
        ("oak", ("Oak", "Chêne", "Eiche")),
        ("plastic", ("Plastic", "Plastique", "Kunststoff")),
        ("glass", ("Glass", "Verre", "Glas")),
    ],
    "collection": [
        ("spring_2026", ("Spring 2026", "Printemps 2026", "Frühling 2026")),
        ("summer_2026", ("Summer 2026", "Été 2026", "Sommer 2026")),
        ("autumn_2026", ("Autumn 2026", "Automne 2026", "Herbst 2026")),
        ("winter_2026", ("Winter 2026", "Hiver 2026", "Winter 2026")),
        ("essentials", ("Essentials", "Essentiels", "Basics")),
    ],
    "certifications": [
        ("ce", ("CE", "CE", "CE")),
        ("fsc", ("FSC", "FSC", "FSC")),
        ("oeko_tex", ("OEKO-TEX", "OEKO-TEX", "OEKO-TEX")),
        ("energy_star", ("Energy Star", "Energy Star", "Energy Star")),
    ],
}

_COMMON = [
    "sku",
    "name",
    "description",
    "short_description",
    "meta_title",
    "meta_description",
    "brand",
    "color",
    "price",
    "msrp",
    "image_1",
    "featured",
    "ean",
    "supplier_reference",
    "stock_quantity",
    "release_date",
]
# family: labels, its own attributes, leaf categories, nouns (en, fr, de)
_FAMILIES: dict[
    str, tuple[tuple[str, str, str], list[str], list[str], list[tuple[str, str, str]]]
] = {
    "clothing": (
        ("Clothing", "Vêtements", "Bekleidung"),
        [
            "size",
            "material",
            "collection",
            "care_instructions",
            "weight",
            "image_2",
            "eco_friendly",
            "certifications",
        ],
        ["apparel_tops", "apparel_bottoms", "apparel_outerwear"],
        [
            ("T-shirt", "T-shirt", "T-Shirt"),
            ("Sweater", "Pull", "Pullover"),
            ("Jacket", "Veste", "Jacke"),
            ("Trousers", "Pantalon", "Hose"),
        ],
    ),
    "shoes": (
        ("Shoes", "Chaussures", "Schuhe"),
        ["size", "material", "collection", "weight", "waterproof", "image_2"],
        ["footwear_sneakers", "footwear_boots", "footwear_sandals"],
        [
            ("Sneaker", "Basket", "Sneaker"),
            ("Boot", "Botte", "Stiefel"),
            ("Sandal", "Sandale", "Sandale"),
        ],
    ),
    "electronics": (
        ("Electronics", "Électronique", "Elektronik"),
        [
            "weight",
            "length",
            "width",
            "height",
            "power",
            "wifi",
            "warranty_years",
            "user_manual",
            "datasheet",
            "end_of_life",
            "rating",
            "certifications",
        ],
        ["tech_audio", "tech_computers", "tech_phones"],
        [
            ("Headphones", "Casque", "Kopfhörer"),
            ("Speaker", "Enceinte", "Lautsprecher"),
            ("Laptop", "Ordinateur portable", "Laptop"),
            ("Phone", "Téléphone", "Telefon"),
        ],
    ),
    "furniture": (
        ("Furniture", "Mobilier", "Möbel"),
        [
            "material",
            "weight",
            "length",
            "width",
            "height",
            "image_2",
            "eco_friendly",
            "warranty_years",
            "care_instructions",
        ],
        ["home_furniture", "home_decor"],
        [
            ("Chair", "Chaise", "Stuhl"),
            ("Table", "Table", "Tisch"),
            ("Shelf", "Étagère", "Regal"),
            ("Lamp", "Lampe", "Lampe"),
        ],
    ),
    "kitchen": (
        ("Kitchen", "Cuisine", "Küche"),
        ["material", "capacity", "power", "warranty_years", "user_manual"],
        ["home_kitchen"],
        [
            ("Kettle", "Bouilloire", "Wasserkocher"),
            ("Blender", "Mixeur", "Mixer"),
            ("Pan", "Poêle", "Pfanne"),
        ],
    ),
    "outdoor": (
        ("Outdoor", "Plein air", "Outdoor"),
        ["material", "collection", "weight", "waterproof", "capacity", "rating"],
        ["outdoor_camping", "outdoor_cycling", "outdoor_bags"],
        [
            ("Tent", "Tente", "Zelt"),
            ("Backpack", "Sac à dos", "Rucksack"),
            ("Bottle", "Gourde", "Flasche"),
        ],
    ),
}
_SIMPLE_FAMILIES = ("electronics", "furniture", "kitchen", "outdoor", "clothing", "shoes")

_CATEGORIES: dict[str, tuple[tuple[str, str, str], dict[str, tuple[str, str, str]]]] = {
    "apparel": (
        ("Apparel", "Habillement", "Bekleidung"),
        {
            "apparel_tops": ("Tops", "Hauts", "Oberteile"),
            "apparel_bottoms": ("Bottoms", "Bas", "Hosen"),
            "apparel_outerwear": ("Outerwear", "Manteaux", "Oberbekleidung"),
        },
    ),
    "footwear": (
        ("Footwear", "Chaussures", "Schuhe"),
        {
            "footwear_sneakers": ("Sneakers", "Baskets", "Sneaker"),
            "footwear_boots": ("Boots", "Bottes", "Stiefel"),
            "footwear_sandals": ("Sandals", "Sandales", "Sandalen"),
        },
    ),
    "home": (
        ("Home", "Maison", "Zuhause"),
        {
            "home_furniture": ("Furniture", "Meubles", "Möbel"),
            "home_kitchen": ("Kitchen", "Cuisine", "Küche"),
            "home_decor": ("Decoration", "Décoration", "Dekoration"),
        },
    ),
    "tech": (
        ("Technology", "Technologie", "Technik"),
        {
            "tech_audio": ("Audio", "Audio", "Audio"),
            "tech_computers": ("Computers", "Ordinateurs", "Computer"),
            "tech_phones": ("Phones", "Téléphones", "Telefone"),
        },
    ),
    "outdoor": (
        ("Outdoor", "Plein air", "Outdoor"),
        {
            "outdoor_camping": ("Camping", "Camping", "Camping"),
            "outdoor_cycling": ("Cycling", "Vélo", "Radsport"),
            "outdoor_bags": ("Bags", "Sacs", "Taschen"),
        },
    ),
    "sale": (
        ("Sale", "Soldes", "Sale"),
        {
            "sale_clearance": ("Clearance", "Déstockage", "Abverkauf"),
            "sale_bundles": ("Bundles", "Lots", "Bündel"),
        },
    ),
}

_ADJECTIVES = [
    ("Classic", "Classique", "Klassisch"),
    ("Urban", "Urbain", "Urban"),
    ("Essential", "Essentiel", "Basis"),
    ("Premium", "Premium", "Premium"),
    ("Compact", "Compact", "Kompakt"),
    ("Nordic", "Nordique", "Nordisch"),
    ("Everyday", "Quotidien", "Alltags"),
    ("Pro", "Pro", "Pro"),
]
_SENTENCES = {
    "en_US": "A {adj} {noun} for {use}, made to last.",
    "fr_FR": "Un(e) {noun} {adj} pour {use}, fait(e) pour durer.",
    "de_DE": "Ein(e) {adj} {noun} für {use}, gemacht für lange Zeit.",
}
_USES = {
    "en_US": ["every day", "travel", "the weekend", "work"],
    "fr_FR": ["tous les jours", "le voyage", "le week-end", "le travail"],
    "de_DE": ["jeden Tag", "die Reise", "das Wochenende", "die Arbeit"],
}
_CHANNEL_STYLE = {"ecommerce": "", "mobile": " (short)", "print": " Printed catalogue edition."}
_LOCALE_INDEX = {"en_US": 0, "fr_FR": 1, "de_DE": 2}
_VARIANT_ATTRIBUTES = {
    "clothing_by_color_size": [
        {"level": 1, "axes": ["color"], "attributes": ["color", "image_1"]},
        {
            "level": 2,
            "axes": ["size"],
            "attributes": ["size", "sku", "ean", "weight", "stock_quantity"],
        },
    ],
    "shoes_by_size": [
        {"level": 1, "axes": ["size"], "attributes": ["size", "sku", "ean", "stock_quantity"]},
    ],
}


def time_text(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def build_catalogue(seed: int = DEFAULT_SEED, products: int = DEFAULT_PRODUCTS) -> Catalogue:
    """The structure, product models and products of one PIM, made from ``seed``."""
    rng = random.Random(seed)
    start = time_text(CATALOGUE_START)
    catalogue = Catalogue(
        seed=seed,
        channels={channel["code"]: _copy(channel) for channel in DEMO_CHANNELS},
        locales={
            code: {"code": code, "enabled": code in LOCALES}
            for code in sorted(LOCALES + OTHER_LOCALES)
        },
        currencies={
            code: {"code": code, "enabled": code in CURRENCIES, "label": label}
            for code, label in sorted(_CURRENCY_LABELS.items())
        },
        measurement_families=_measurement_families(),
        attribute_groups={},
        attributes={},
        options={},
        families={},
        variants={},
        categories=_categories(start),
        product_models={},
        products={},
        product_order=[],
    )
    _attributes(catalogue, start)
    _families(catalogue, start)
    _product_models(catalogue, rng, products)
    _products(catalogue, rng, products)
    return catalogue


def _copy(item: Item) -> Item:
    import copy

    return copy.deepcopy(item)


def _measurement_families() -> dict[str, Item]:
    families: dict[str, Item] = {}
    for code, (labels, standard, units) in _MEASUREMENTS.items():
        families[code] = {
            "code": code,
            "labels": labels,
            "standard_unit_code": standard,
            "units": {
                unit: {
                    "code": unit,
                    "labels": {"en_US": label},
                    "convert_from_standard": [{"operator": "mul", "value": factor}],
                    "symbol": symbol,
                }
                for unit, (label, factor, symbol) in units.items()
            },
        }
    return families


def _categories(updated: str) -> dict[str, Item]:
    categories: dict[str, Item] = {
        "master": {
            "code": "master",
            "parent": None,
            "updated": updated,
            "labels": _labels("Master catalog", "Catalogue principal", "Hauptkatalog"),
        },
    }
    for code, (labels, children) in _CATEGORIES.items():
        categories[code] = {
            "code": code,
            "parent": "master",
            "updated": updated,
            "labels": _labels(*labels),
        }
        for child, child_labels in children.items():
            categories[child] = {
                "code": child,
                "parent": code,
                "updated": updated,
                "labels": _labels(*child_labels),
            }
    return categories


def _attributes(catalogue: Catalogue, updated: str) -> None:
    for order, (code, kind, group, localizable, scopable, labels, extra) in enumerate(_ATTRIBUTES):
        catalogue.attributes[code] = {
            "code": code,
            "type": f"pim_catalog_{kind}",
            "group": group,
            "unique": kind == "identifier" or bool(extra.get("unique")),
            "useable_as_grid_filter": kind in {"identifier", "simpleselect", "boolean", "text"},
            "allowed_extensions": extra.get("allowed_extensions", []),
            "metric_family": extra.get("metric_family"),
            "default_metric_unit": extra.get("default_metric_unit"),
            "reference_data_name": None,
            "available_locales": [],
            "max_characters": extra.get("max_characters"),
            "validation_rule": None,
            "validation_regexp": None,
            "wysiwyg_enabled": extra.get("wysiwyg_enabled", False if kind == "textarea" else None),
            "number_min": extra.get("number_min"),
            "number_max": extra.get("number_max"),
            "decimals_allowed": extra.get("decimals_allowed"),
            "negative_allowed": extra.get("negative_allowed"),
            "date_min": None,
            "date_max": None,
            "max_file_size": None,
            "minimum_input_length": None,
            "sort_order": order,
            "localizable": localizable,
            "scopable": scopable,
            "labels": _labels(*labels),
            "guidelines": {},
            "auto_option_sorting": None,
            "default_value": None,
            "updated": updated,
        }
        del catalogue.attributes[code]["updated"]
    for group_order, (group, labels) in enumerate(_GROUPS.items()):
        catalogue.attribute_groups[group] = {
            "code": group,
            "sort_order": group_order,
            "attributes": [code for code, a in catalogue.attributes.items() if a["group"] == group],
            "labels": labels,
        }
    for attribute, options in _OPTIONS.items():
        catalogue.options[attribute] = {
            code: {
                "code": code,
                "attribute": attribute,
                "sort_order": order,
                "labels": _labels(*labels),
            }
            for order, (code, labels) in enumerate(options)
        }


def _families(catalogue: Catalogue, updated: str) -> None:
    for code, (labels, own, _, _) in _FAMILIES.items():
        attributes = sorted(set(_COMMON) | set(own))
        catalogue.families[code] = {
            "code": code,
            "attribute_as_label": "name",
            "attribute_as_image": "image_1",
            "attributes": attributes,
            "attribute_requirements": {
                "ecommerce": ["sku", "name", "description", "price", "image_1"],
                "mobile": ["sku", "name", "image_1"],
                "print": ["sku", "name", "description"],
            },
            "labels": _labels(*labels),
        }
        catalogue.variants[code] = {}
    catalogue.variants["clothing"]["clothing_by_color_size"] = {
        "code": "clothing_by_color_size",
        "labels": _labels(
            "Clothing by color and size",
            "Vêtements par couleur et taille",
            "Bekleidung nach Farbe und Größe",
        ),
        "variant_attribute_sets": _copy({"sets": _VARIANT_ATTRIBUTES["clothing_by_color_size"]})[
            "sets"
        ],
    }
    catalogue.variants["shoes"]["shoes_by_size"] = {
        "code": "shoes_by_size",
        "labels": _labels("Shoes by size", "Chaussures par taille", "Schuhe nach Größe"),
        "variant_attribute_sets": _copy({"sets": _VARIANT_ATTRIBUTES["shoes_by_size"]})["sets"],
    }


def model_count(products: int) -> int:
    return products // PRODUCTS_PER_MODEL


def _product_models(catalogue: Catalogue, rng: random.Random, products: int) -> None:
    for number in range(model_count(products)):
        family = "clothing" if number % 2 == 0 else "shoes"
        variant = "clothing_by_color_size" if family == "clothing" else "shoes_by_size"
        noun = _FAMILIES[family][3][number // 2 % len(_FAMILIES[family][3])]
        created = CATALOGUE_START + timedelta(minutes=number * 13)
        code = f"{noun[0].lower().replace('-', '')}_{number:05d}"
        root = ProductModel(
            code=code,
            family=family,
            family_variant=variant,
            parent=None,
            categories=[rng.choice(_FAMILIES[family][2])],
            created=time_text(created),
            updated=time_text(created + timedelta(days=number % 200)),
            values=None,
            number=number,
        )
        catalogue.product_models[code] = root
        if family == "clothing":
            colors = [code for code, _ in _OPTIONS["color"]]
            for color in (colors[number % 8], colors[(number + 3) % 8]):
                sub = ProductModel(
                    code=f"{code}_{color}",
                    family=family,
                    family_variant=variant,
                    parent=code,
                    categories=[],
                    created=root.created,
                    updated=root.updated,
                    values={
                        "color": [_value(color)],
                        "image_1": [_value(media_code(catalogue.seed, number, f"model_{color}"))],
                    },
                )
                catalogue.product_models[sub.code] = sub


def model_values(catalogue: Catalogue, model: ProductModel) -> Values:
    """A product model's own values, built from the seed the first time they are read."""
    if model.values is None:
        model.values = _seeded_model_values(catalogue, model)
    return model.values


def _seeded_model_values(catalogue: Catalogue, model: ProductModel) -> Values:
    rng = random.Random(f"{catalogue.seed}:model:{model.number}")
    nouns = _FAMILIES[model.family][3]
    noun = nouns[model.number // 2 % len(nouns)]
    adjective = rng.choice(_ADJECTIVES)
    levels = catalogue.variants[model.family].get(model.family_variant, {})
    variant_attributes = {
        attribute
        for level in levels.get("variant_attribute_sets", [])
        for attribute in level["attributes"]
    }
    attributes = [
        a for a in catalogue.families[model.family]["attributes"] if a not in variant_attributes
    ]
    return _values(catalogue, rng, attributes, adjective, noun, f"model-{model.number}")


def _products(catalogue: Catalogue, rng: random.Random, count: int) -> None:
    """Every product in one pass: two random draws each (this is what 100,000 products cost)."""
    models = list(catalogue.product_models.values())
    roots = [m for m in models if m.parent is None]
    subs: dict[str, list[str]] = {}
    for model in models:
        if model.parent is not None:
            subs.setdefault(model.parent, []).append(model.code)
    variant_count = len(roots) * VARIANTS_PER_MODEL
    leaves = {family: spec[2] for family, spec in _FAMILIES.items()}
    extra_leaves = ("sale_clearance", "sale_bundles", "outdoor_bags")
    days = [(CATALOGUE_START + timedelta(days=day)).date().isoformat() for day in range(600)]
    for number in range(count):
        bits = rng.getrandbits(64)
        if number < variant_count:
            root = roots[number // VARIANTS_PER_MODEL]
            family = root.family
            children = subs.get(root.code)
            parent = children[(number % VARIANTS_PER_MODEL) // 2] if children else root.code
            categories: list[str] = []
        else:
            family = _SIMPLE_FAMILIES[bits % len(_SIMPLE_FAMILIES)]
            parent = None
            own = leaves[family]
            categories = [own[(bits >> 4) % len(own)]]
            if (bits >> 8) % 5 == 0:
                categories.append(extra_leaves[(bits >> 12) % 3])
        created_day, created_minute = (bits >> 16) % 365, (bits >> 26) % 1440
        updated_day = created_day + (bits >> 38) % 200
        product = Product(
            uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            identifier=f"SKU-{number + 1:06d}",
            family=family,
            parent=parent,
            categories=categories,
            enabled=(bits >> 48) % 10 != 0,
            created=_at(days[created_day], created_minute),
            updated=_at(days[updated_day], (created_minute + (bits >> 52)) % 1440),
            number=number,
        )
        catalogue.products[product.uuid] = product
        catalogue.identifiers[product.identifier] = product.uuid
    catalogue.product_order = sorted(catalogue.products)


def _at(day: str, minute: int) -> str:
    return f"{day}T{minute // 60:02d}:{minute % 60:02d}:00+00:00"


def product_values(catalogue: Catalogue, product: Product) -> Values:
    """The product's own values, built from the seed the first time they are read."""
    if product.values is None:
        product.values = _seeded_values(catalogue, product)
    return product.values


def _seeded_values(catalogue: Catalogue, product: Product) -> Values:
    rng = random.Random(f"{catalogue.seed}:product:{product.number}")
    family = product.family or "outdoor"
    noun = rng.choice(_FAMILIES[family][3])
    adjective = rng.choice(_ADJECTIVES)
    if product.parent is not None:
        model = catalogue.product_models[product.parent]
        sets = (
            catalogue.variants[model.family]
            .get(model.family_variant, {})
            .get("variant_attribute_sets", [])
        )
        attributes = list(sets[-1]["attributes"]) if sets else ["sku"]
        values = _values(catalogue, rng, attributes, adjective, noun, product.identifier)
        if "size" in attributes:
            sizes = (
                list(_OPTIONS["size"])[:5]
                if model.family == "clothing"
                else list(_OPTIONS["size"])[5:]
            )
            values["size"] = [_value(sizes[product.number % len(sizes)][0])]
    else:
        attributes = catalogue.families[family]["attributes"] if product.family else ["sku", "name"]
        values = _values(catalogue, rng, attributes, adjective, noun, product.identifier)
    values["sku"] = [_value(product.identifier)]
    values.setdefault("image_1", [])
    if not values["image_1"] and product.parent is None:
        values["image_1"] = [_value(media_code(catalogue.seed, product.number, "image_1"))]
    if not values["image_1"]:
        del values["image_1"]
    return values


def _value(data: object, locale: str | None = None, scope: str | None = None) -> Item:
    return {"locale": locale, "scope": scope, "data": data}


def _values(
    catalogue: Catalogue,
    rng: random.Random,
    attributes: list[str],
    adjective: tuple[str, str, str],
    noun: tuple[str, str, str],
    key: str,
) -> Values:
    values: Values = {}
    for code in attributes:
        attribute = catalogue.attributes[code]
        kind = attribute["type"].removeprefix("pim_catalog_")
        if kind == "identifier":
            continue
        if rng.random() < 0.15 and code not in {"name", "description", "image_1", "price"}:
            continue  # not every product has every value, as in a real catalogue
        locales = LOCALES if attribute["localizable"] else (None,)
        scopes = tuple(catalogue.channels) if attribute["scopable"] else (None,)
        entries = [
            _value(
                _data(catalogue, rng, code, kind, adjective, noun, locale, scope, key),
                locale,
                scope,
            )
            for scope in scopes
            for locale in locales
        ]
        values[code] = entries
    return values


def _data(
    catalogue: Catalogue,
    rng: random.Random,
    code: str,
    kind: str,
    adjective: tuple[str, str, str],
    noun: tuple[str, str, str],
    locale: str | None,
    scope: str | None,
    key: str,
) -> object:
    index = _LOCALE_INDEX.get(locale or "en_US", 0)
    if kind == "text":
        if code in {"name", "meta_title"}:
            return f"{adjective[index]} {noun[index]}"
        return f"{code.upper()[:3]}-{rng.randrange(10**8):08d}"
    if kind == "textarea":
        use = rng.choice(_USES[locale or "en_US"])
        sentence = _SENTENCES[locale or "en_US"].format(
            adj=adjective[index].lower(), noun=noun[index].lower(), use=use
        )
        return sentence + _CHANNEL_STYLE.get(scope or "", "")
    if kind == "number":
        if code == "rating":
            return f"{rng.randint(10, 50) / 10:.4f}"
        return rng.randint(0, 500) if code == "stock_quantity" else rng.randint(1, 5)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "date":
        return time_text(CATALOGUE_START + timedelta(days=rng.randint(-300, 600)))
    if kind == "simpleselect":
        return rng.choice(list(catalogue.options[code]))
    if kind == "multiselect":
        return sorted(rng.sample(list(catalogue.options[code]), rng.randint(1, 2)))
    if kind == "price_collection":
        base = rng.randint(900, 49900) / 100
        return [
            {"amount": f"{base:.2f}", "currency": "USD"},
            {"amount": f"{base * 0.92:.2f}", "currency": "EUR"},
        ]
    if kind == "metric":
        unit = catalogue.attributes[code]["default_metric_unit"]
        return {"amount": f"{rng.randint(1, 2000) / 10:.4f}", "unit": unit}
    if kind == "image":
        return media_code(catalogue.seed, _number_of(key), code)
    return media_code(catalogue.seed, _number_of(key), code, extension="txt")


def _number_of(key: str) -> int:
    digits = "".join(ch for ch in key if ch.isdigit())
    return int(digits or 0)


def media_code(seed: int, number: int, attribute: str, *, extension: str = "png") -> str:
    """A media file code in the PIM's form ``a/b/c/d/<hash>_<file name>``, for a seeded file.

    The hash starts with the product's number, so a download can redraw the file without
    storing it.
    """
    digest = hashlib.sha1(f"{seed}:{number}:{attribute}".encode()).hexdigest()[:32]
    head = f"{number:08x}{digest}"
    return f"{head[0]}/{head[1]}/{head[2]}/{head[3]}/{head}_{attribute}.{extension}"


def is_seeded_media(seed: int, code: str) -> bool:
    """Whether ``code`` is one that ``media_code`` makes for this seed."""
    name = code.rpartition("/")[2]
    head, _, rest = name.partition("_")
    attribute, _, extension = rest.rpartition(".")
    if len(head) != 40 or not attribute:
        return False
    try:
        number = int(head[:8], 16)
    except ValueError:
        return False
    return media_code(seed, number, attribute, extension=extension) == code
