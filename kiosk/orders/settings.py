"""Orders' settings: config/orders.toml (keys overridable by KIOSK_ORDERS_<KEY>; KIOSK_ORDERS_CONFIG names
another file) and the order catalog it names (config/order-catalog.toml), both read and checked at
start-up, each error naming its file and line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.auth import Role
from kiosk.config import Settings
from kiosk.settings_files import SettingsFile, between, checked, not_empty, read_dataclass, uri
from kiosk.tomlfile import TomlFile, read_toml

PRIORITIES = ("routine", "urgent", "asap", "stat")
CATEGORIES: dict[str, str] = {
    "lab": "Laboratory",
    "imaging": "Imaging",
    "diet": "Diet",
    "nursing": "Nursing and activity",
    "therapy": "Therapy",
    "consult": "Consults",
}
SYSTEMS = {"loinc": "http://loinc.org", "snomed": "http://snomed.info/sct", "local": ""}
#: Order modes: HL7 v2 table 0483 (authorization mode) where it has the mode, else the kiosk's own code.
MODES: dict[str, str] = {
    "PC": "telephone",
    "VO": "verbal",
    "PA": "written",
    "protocol": "per protocol",
    "EL": "entered by the provider",
}
#: How the read-back sentence says the order was given.
MODE_PHRASES = {"PC": "by telephone", "VO": "verbally", "PA": "in writing", "protocol": "per protocol",
                "EL": "electronically"}
#: Modes where the order was read back to the provider before it was sent.
READ_BACK_MODES = ("PC", "VO")
#: Modes where the provider entered it: no co-signature.
OWN_MODES = ("EL",)
ITEM_KEYS = ("code", "system", "name", "category", "priority", "duplicate_hours", "specimen", "container",
             "service", "words")
LOINC = re.compile(r"^[0-9]{1,7}-[0-9]$")
LOCAL = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


def loinc_check_digit(number: str) -> int:
    """The check digit of a LOINC code's number (LOINC's mod 10: the digits in odd places from the right,
    read as a number and doubled, after those in even places; the digits of that added up; what brings
    the sum to the next multiple of 10). 57021 -> 8 (57021-8)."""
    from_right = number[::-1]
    odd = from_right[0::2][::-1]
    even = from_right[1::2][::-1]
    total = sum(int(d) for d in even + str(int(odd) * 2))
    return (10 - total % 10) % 10


@dataclass(frozen=True)
class CatalogItem:
    code: str
    system: str  # "loinc", "snomed" or "local"
    name: str
    category: str
    priority: str
    duplicate_hours: int
    specimen: str = ""
    container: str = ""
    service: str = ""
    words: tuple[str, ...] = ()

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]

    def matches(self, typed: str) -> bool:
        wanted = typed.casefold().strip()
        return any(wanted in text.casefold() for text in (self.name, self.code, *self.words))


@dataclass(frozen=True)
class Catalog:
    items: tuple[CatalogItem, ...] = ()
    favourites: dict[str, tuple[str, ...]] = field(default_factory=dict)
    medication_words: tuple[str, ...] = ()

    def item(self, code: str) -> CatalogItem | None:
        return next((i for i in self.items if i.code == code), None)

    def search(self, typed: str, limit: int = 12) -> list[CatalogItem]:
        """Items whose name, code or other words contain what was typed (3 letters at least)."""
        if len(typed.strip()) < 3:
            return []
        return [i for i in self.items if i.matches(typed)][:limit]

    def is_medication(self, typed: str) -> bool:
        wanted = typed.casefold().strip()
        if len(wanted) < 3:
            return False
        return any(wanted in word or (len(word) > 3 and word in wanted) for word in self.medication_words)

    def favourites_of(self, unit: str | None) -> list[CatalogItem]:
        codes = self.favourites.get(unit or "") or self.favourites.get("default") or ()
        return [item for code in codes if (item := self.item(code)) is not None]


@dataclass(frozen=True)
class Scalars:
    catalog: str = field(default="config/order-catalog.toml", metadata=checked(not_empty))
    cosign_hours: int = field(default=24, metadata=checked(between(1, 168)))
    amber_hours: int = field(default=4, metadata=checked(between(1, 48)))
    disagreement_hours: int = field(default=48, metadata=checked(between(1, 168)))
    order_number_system: str = field(default="urn:oid:2.16.840.1.113883.3.9999.20", metadata=checked(uri))
    accession_system: str = field(default="urn:oid:2.16.840.1.113883.3.9999.21", metadata=checked(uri))


@dataclass(frozen=True)
class OrdersSettings:
    catalog: Catalog
    catalog_path: Path
    cosign_hours: int = 24
    amber_hours: int = 4
    #: How long after the disagreement an order its provider disagreed with stays listed once seen (an
    #: unseen one stays until someone marks it seen).
    disagreement_hours: int = 48
    order_number_system: str = "urn:oid:2.16.840.1.113883.3.9999.20"
    accession_system: str = "urn:oid:2.16.840.1.113883.3.9999.21"
    #: role value -> the modes it may enter.
    modes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def modes_of(self, role: str | None) -> tuple[str, ...]:
        return self.modes.get(role or "", ())


def _modes(file: TomlFile) -> dict[str, tuple[str, ...]]:
    raw = file.data.get("modes", {})
    if not isinstance(raw, dict):
        raise file.error(("modes",), "[modes] must be a table of role = [modes].")
    out: dict[str, tuple[str, ...]] = {}
    roles = {r.value for r in Role}
    for role, modes in raw.items():
        if role not in roles:
            raise file.error(("modes", role), f"'{role}' is not a role (known: {', '.join(sorted(roles))}).")
        if not isinstance(modes, list) or not all(isinstance(m, str) and m in MODES for m in modes):
            raise file.error(("modes", role), f"modes.{role} must be a list of modes from: {', '.join(MODES)}.")
        if role == Role.PROVIDER.value and any(m not in OWN_MODES for m in modes):
            raise file.error(("modes", role), "a provider enters their own orders: modes.provider may only hold EL.")
        out[role] = tuple(dict.fromkeys(modes))
    return out


def _text(file: TomlFile, path: tuple[str | int, ...], value: Any, what: str, max_len: int = 80) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise file.error(path, f"{what} must be quoted text of 1 to {max_len} characters.")
    return value.strip()


def _item(file: TomlFile, index: int, entry: dict[str, Any]) -> CatalogItem:
    at = ("items", index)
    for key in entry:
        if key not in ITEM_KEYS:
            raise file.error((*at, key), f"'{key}' is not a key of [[items]] (known: {', '.join(ITEM_KEYS)}).")
    system = entry.get("system", "local")
    if system not in SYSTEMS:
        raise file.error((*at, "system"), f"system must be one of {', '.join(SYSTEMS)}, not {system!r}.")
    code = entry.get("code")
    pattern = LOINC if system == "loinc" else re.compile(r"^[0-9]{6,18}$") if system == "snomed" else LOCAL
    if not isinstance(code, str) or not pattern.match(code):
        kind = {"loinc": "a LOINC code (like 57021-8)", "snomed": "a SNOMED CT concept id (digits)",
                "local": "lower-case letters, digits and '-' (at most 60)"}[system]
        raise file.error((*at, "code"), f"each item needs a code: {kind}, not {code!r}.")
    if system == "loinc" and loinc_check_digit(code.split("-")[0]) != int(code[-1]):
        raise file.error((*at, "code"), f"{code} is not a LOINC code: its check digit (after the '-') should be "
                                        f"{loinc_check_digit(code.split('-')[0])}. Check the code against LOINC.")
    category = entry.get("category")
    if category not in CATEGORIES:
        raise file.error((*at, "category"), f"category must be one of {', '.join(CATEGORIES)}, not {category!r}.")
    priority = entry.get("priority", "routine")
    if priority not in PRIORITIES:
        raise file.error((*at, "priority"), f"priority must be one of {', '.join(PRIORITIES)}, not {priority!r}.")
    hours = entry.get("duplicate_hours", 24)
    if not isinstance(hours, int) or isinstance(hours, bool) or not 0 <= hours <= 24 * 30:
        raise file.error((*at, "duplicate_hours"), "duplicate_hours must be a whole number of hours from 0 to 720.")
    words = entry.get("words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise file.error((*at, "words"), "words must be a list of quoted words.")
    extra: dict[str, str] = {}
    required = {"lab": ("specimen", "container"), "consult": ("service",)}.get(category, ())
    for key in ("specimen", "container", "service"):
        if key in required:
            extra[key] = _text(file, (*at, key), entry.get(key), f"a {category} item's {key}", 60)
        elif key in entry:
            raise file.error((*at, key), f"'{key}' is only for {'consult' if key == 'service' else 'lab'} items.")
    return CatalogItem(code=code, system=system, name=_text(file, (*at, "name"), entry.get("name"), "name"),
                       category=category, priority=priority, duplicate_hours=hours,
                       words=tuple(w.strip() for w in words), **extra)


def load_catalog(path: Path) -> Catalog:
    """Read and check the order catalog; ConfigError names the file and line."""
    file = read_toml(path)
    for key in file.data:
        if key not in ("items", "favourites", "medication_words"):
            raise file.error((key,), f"'{key}' is not part of an order catalog, which has [[items]], [favourites] "
                                     "and medication_words.")
    raw = file.data.get("items", [])
    if not isinstance(raw, list) or not raw or not all(isinstance(e, dict) for e in raw):
        raise file.error(("items",), "the catalog needs at least one [[items]] entry.")
    items: list[CatalogItem] = []
    for index, entry in enumerate(raw):
        item = _item(file, index, entry)
        if any(i.code == item.code for i in items):
            raise file.error(("items", index, "code"), f"the code '{item.code}' is in the catalog twice.")
        items.append(item)
    known = {i.code for i in items}
    favourites: dict[str, tuple[str, ...]] = {}
    raw_favourites = file.data.get("favourites", {})
    if not isinstance(raw_favourites, dict):
        raise file.error(("favourites",), "[favourites] must be a table of unit = [item codes].")
    for unit, codes in raw_favourites.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise file.error(("favourites", unit), f"favourites.{unit} must be a list of item codes.")
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise file.error(("favourites", unit), f"favourites.{unit} names {unknown[0]!r}, which is no item of the "
                                                   "catalog.")
        favourites[unit] = tuple(codes)
    words = file.data.get("medication_words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise file.error(("medication_words",), "medication_words must be a list of quoted words.")
    return Catalog(tuple(items), favourites, tuple(w.strip().casefold() for w in words))


def _parse(file: TomlFile, settings: Settings, env: Mapping[str, str]) -> OrdersSettings:
    flat = TomlFile(file.path, file.text, {k: v for k, v in file.data.items() if k != "modes"}, file.lines)
    scalars = read_dataclass(flat, Scalars, env, "KIOSK_ORDERS", "orders")
    path = Path(scalars.catalog)
    path = path if path.is_absolute() else settings.root / path
    if scalars.order_number_system == scalars.accession_system:
        raise file.error(("accession_system",), "accession_system must differ from order_number_system.")
    return OrdersSettings(catalog=load_catalog(path), catalog_path=path, cosign_hours=scalars.cosign_hours,
                          amber_hours=scalars.amber_hours, disagreement_hours=scalars.disagreement_hours,
                          order_number_system=scalars.order_number_system,
                          accession_system=scalars.accession_system, modes=_modes(file))


ORDERS_FILE = SettingsFile("orders", _parse)
