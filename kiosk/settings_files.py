"""One way for every workflow to hold its settings: its own file, its own typed settings, checked when
the app starts.

A workflow declares a `SettingsFile`: its name (`supplies` -> config/supplies.toml, another file in
KIOSK_SUPPLIES_CONFIG) and how to read it into its settings (a frozen dataclass). `register_settings`
(called from the workflow's `register(app)`) reads and checks it at start-up, so a wrong entry stops
the kiosk with one sentence naming the file and line; views read the result with `settings_of`, and
processes without the web app (the scheduler, commands) with `SettingsFile.read`. A workflow's first
settings file is named after it (config/orders.toml for kiosk/orders); a second one (par levels) is named
by a key of the first.

Most files are flat or have a few tables: `read_dataclass` reads those into the dataclass by its
fields, with every key overridable by KIOSK_<NAME>_<KEY> (KIOSK_<NAME>_<TABLE>_<KEY> in a table). A
field's check goes in its metadata (`checked(between(1, 60))`); a file with lists of entries (par levels,
printers, jobs) reads them with its own parser from the same `TomlFile`, which knows every key's line.
"""

from __future__ import annotations

import dataclasses
import os
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, Union, get_args, get_origin, get_type_hints

from flask import Flask, current_app

from kiosk.config import ConfigError, Settings
from kiosk.tomlfile import KeyPath, TomlFile, read_toml

T = TypeVar("T")
EXTENSION_KEY = "kiosk.settings_files"

#: A check of one value: None when it is fine, else what is wrong ("must be between 1 and 60").
Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class SettingsFile(Generic[T]):
    """A workflow's settings file. `parse` turns the file (and the app's settings, for paths and the
    unit) into the workflow's settings, raising ConfigError that names the file and line."""

    name: str
    parse: Callable[[TomlFile, Settings, Mapping[str, str]], T]

    @property
    def env_prefix(self) -> str:
        return "KIOSK_" + self.name.upper().replace("-", "_")

    def path(self, settings: Settings, env: Mapping[str, str]) -> Path:
        configured = env.get(f"{self.env_prefix}_CONFIG")
        path = Path(configured) if configured else Path("config") / f"{self.name}.toml"
        return path if path.is_absolute() else settings.root / path

    def read(self, settings: Settings, env: Mapping[str, str] | None = None) -> T:
        """Read and check the file; overrides come from `env`, by default this process's environment
        with the one the app's settings were read with on top."""
        env = {**os.environ, **settings.env} if env is None else env
        return self.parse(read_toml(self.path(settings, env)), settings, env)


def register_settings(app: Flask, file: SettingsFile[T]) -> T:
    """Read and check a workflow's file when the app starts; kept for `settings_of`."""
    from kiosk.extensions import services

    with app.app_context():
        value = file.read(services().settings)
    app.extensions.setdefault(EXTENSION_KEY, {})[file.name] = value
    return value


def settings_of(file: SettingsFile[T]) -> T:
    """The workflow's settings as read at start-up (in a request or app context)."""
    return current_app.extensions[EXTENSION_KEY][file.name]


# ---------------------------------------------------------------- checks


def between(low: float, high: float) -> Check:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be between {low:g} and {high:g}, not {value:g}"
    return check


def one_of(*allowed: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in allowed else f"must be one of {', '.join(allowed)}, not {value!r}"
    return check


def uri(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(("urn:oid:", "urn:uuid:", "http://", "https://")):
        return None
    return f"must be a URI (urn:oid:..., http(s)://...), not {value!r}"


def not_empty(value: Any) -> str | None:
    return None if (value.strip() if isinstance(value, str) else value) else "must not be empty"


def secret_token(value: Any) -> str | None:
    """A screen's set-up token (kiosk.web.display): empty (no such screen) or long enough to be a secret."""
    if not value or (len(value) >= 24 and value.replace("-", "").replace("_", "").isalnum()):
        return None
    return "must be empty or at least 24 letters, digits, '-' or '_'"


def checked(*checks: Check, doc: str = "") -> dict[str, Any]:
    """Field metadata: `x: int = field(default=5, metadata=checked(between(1, 10)))`."""
    return {"checks": checks, "doc": doc}


# ---------------------------------------------------------------- reading a dataclass


class _Problem(Exception):
    def __init__(self, message: str):
        self.message = message


def _coerce(value: Any, target: Any, from_env: bool) -> Any:
    """A TOML (or environment) value as the field's type; _Problem says what is wrong."""
    origin = get_origin(target)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(target) if a is not type(None)]
        if value is None or (from_env and value == ""):
            return None
        return _coerce(value, options[0], from_env)
    if target is bool:
        if isinstance(value, bool):
            return value
        if from_env and str(value).lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return str(value).lower() in ("1", "true", "yes", "on")
        raise _Problem(f"must be true or false, not {value!r}")
    if target is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if from_env:
            try:
                return int(str(value).strip())
            except ValueError:
                pass
        raise _Problem(f"must be a whole number, not {value!r}")
    if target is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if from_env:
            try:
                return float(str(value).strip())
            except ValueError:
                pass
        raise _Problem(f"must be a number, not {value!r}")
    if target is str:
        if isinstance(value, str):
            return value
        raise _Problem(f"must be quoted text, not {value!r}")
    if origin is tuple:
        item = get_args(target)[0]
        if from_env and isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            raise _Problem(f"must be a list, not {value!r}")
        return tuple(_coerce(v, item, from_env) for v in value)
    raise TypeError(f"settings of type {target!r} are not supported by read_dataclass")


def read_dataclass(file: TomlFile, cls: type[T], env: Mapping[str, str], prefix: str, what: str,
                   path: KeyPath = ()) -> T:
    """The dataclass `cls` from the file's keys at `path` (the top level, or a table), each
    overridable by <prefix>_<KEY> in the environment; unknown keys, wrong types and failed checks raise
    ConfigError naming the file and line (or the environment variable). `what` names the settings in
    messages ("'stale_after_hour' is not a supplies setting")."""
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    data: Any = file.data
    for key in path:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    if not isinstance(data, dict):
        raise file.error(path, f"{'.'.join(map(str, path))} must be a table.")
    for key in data:
        if key not in fields:
            where = ".".join(map(str, (*path, key)))
            known = ", ".join(sorted(fields))
            raise file.error((*path, key), f"'{where}' is not a {what} setting; check its spelling "
                                           f"(known: {known}).")
    values: dict[str, Any] = {}
    for name, f in fields.items():
        target = hints[name]
        env_key = f"{prefix}_{name.upper()}"
        if dataclasses.is_dataclass(target):
            values[name] = read_dataclass(file, target, env, env_key, what, (*path, name))  # type: ignore[arg-type]
            continue
        from_env = env_key in env
        if not from_env and name not in data:
            continue
        raw = env[env_key] if from_env else data[name]
        where = f"Environment variable {env_key}: " if from_env else ""
        dotted = ".".join(map(str, (*path, name)))
        try:
            value = _coerce(raw, target, from_env)
            for check in f.metadata.get("checks", ()):
                problem = check(value)
                if problem:
                    raise _Problem(problem)
        except _Problem as e:
            message = f"{where}{dotted} {e.message}."
            raise (ConfigError(message) if from_env else file.error((*path, name), message)) from None
        values[name] = value
    return cls(**values)
