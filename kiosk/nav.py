"""The kiosk's navigation: each workflow blueprint adds its entry when it is registered."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

NAV_KEY = "KIOSK_NAV"


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    description: str
    icon: str  # a name from templates/_icons.html
    order: int = 50
    roles: tuple[str, ...] = ()


def add_nav(app: Flask, item: NavItem) -> None:
    items: list[NavItem] = app.config.setdefault(NAV_KEY, [])
    if all(i.endpoint != item.endpoint for i in items):
        items.append(item)
        items.sort(key=lambda i: (i.order, i.label))


def nav_items(app: Flask) -> list[NavItem]:
    return list(app.config.get(NAV_KEY, []))
