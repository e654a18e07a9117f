"""Settings: config/kiosk.toml with KIOSK_<SECTION>_<KEY> environment overrides, validated at start.

A wrong setting stops start-up with a ConfigError whose message is one sentence naming the setting,
where it came from, and what is expected.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints
from urllib.parse import urlsplit

from kiosk.scanner import ScannerSettingError, check_prefix, check_suffix, parse_keys
from kiosk.timeutil import zone_named

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "kiosk.toml"


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it."""


@dataclass(frozen=True)
class StationSettings:
    name: str = "Nurses' station"
    id: str = "STATION-1"
    #: IANA time zone of the unit (e.g. America/New_York); empty means this machine's.
    timezone: str = ""


@dataclass(frozen=True)
class UnitSettings:
    location: str = ""


@dataclass(frozen=True)
class FhirAuthSettings:
    type: str = "none"
    username: str = ""
    password: str = ""
    token: str = ""
    client_id: str = ""
    private_key_path: str = ""
    key_id: str = ""
    algorithm: str = "RS384"
    token_url: str = ""
    scope: str = "system/*.read system/*.write"


@dataclass(frozen=True)
class FhirSettings:
    base_url: str = "http://127.0.0.1:8090/fhir"
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    read_retries: int = 2
    page_size: int = 200
    auth: FhirAuthSettings = field(default_factory=FhirAuthSettings)


@dataclass(frozen=True)
class IdentifierSettings:
    mrn: str = ""
    encounter: str = ""
    accession: str = ""
    location: str = ""
    practitioner: str = ""
    code_systems: str = ""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/kiosk.db"


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    #: Threads per worker process, and how many of them may be busy with FHIR at once: the rest always
    #: answer sign-in, /healthz and static files, whatever the FHIR server's speed.
    threads: int = 4
    fhir_slots: int = 3
    secret_key: str = ""
    #: Cookies are Secure (and HSTS is sent) whenever a request came over HTTPS; true makes them Secure
    #: even when the kiosk cannot see the HTTPS (a TLS proxy not listed in trusted_proxies).
    secure_cookies: bool = False
    #: HSTS max-age sent over HTTPS (seconds; 0: no HSTS header).
    hsts_seconds: int = 31536000
    #: Reverse proxies whose X-Forwarded-For / -Proto / -Host are believed: addresses or networks,
    #: comma-separated ("10.0.0.5, 10.1.0.0/24"). Empty: none, the peer is the client.
    trusted_proxies: str = ""
    #: The origin people reach the kiosk at behind a proxy ("https://kiosk.example.org"); POSTs must come
    #: from it. Empty: the origin of the request itself.
    public_origin: str = ""
    #: Plain HTTP is answered on loopback (make run, tests) and from trusted proxies; true lets any
    #: client use plain HTTP (a demo on a LAN). Never in production: PINs would cross the network in clear.
    allow_plain_http: bool = False
    #: gunicorn's control socket (for gunicornc): a path for this instance, or empty for none.
    control_socket: str = ""
    #: Screens' live event streams (kiosk.push) one worker process holds open at once, each on a thread of
    #: its own besides `threads`; a screen beyond them is told to check every refresh interval instead.
    event_streams: int = 16


@dataclass(frozen=True)
class CensusSettings:
    #: A unit's census kept in the database is shown as it is while the change check (the scheduler's
    #: census-check job) looked at the server less than this long ago; after that (no scheduler running),
    #: the screen that reads it looks first (one request). 0: look before every read.
    trust_seconds: int = 30
    #: Each look at the server's history starts this long before the newest change the last one saw (a
    #: server may stamp a change a little before it commits it); the versions seen there are skipped.
    overlap_ms: int = 1000
    #: When the FHIR server cannot be reached, the bed board shows the census kept in the database if it
    #: was known current less than this many hours ago (the downtime census); an older one is deleted.
    downtime_keep_hours: float = 12.0


@dataclass(frozen=True)
class PushSettings:
    """Changes pushed from the FHIR server to the kiosk (rest-hook Subscriptions) and from the kiosk to the
    screens (Server-Sent Events): kiosk/push."""

    #: The address the FHIR server posts its notifications to (the kiosk as the server reaches it, e.g.
    #: "https://kiosk.example.org/push/fhir"). Empty: no subscriptions; the census-check job's schedule only.
    notify_url: str = ""
    #: One rest-hook Subscription per criteria (comma-separated). Each notification only makes the kiosk
    #: look at the server's changes (one request); narrow them on a busy hospital server.
    criteria: str = "Location?,Encounter?,Patient?,Flag?,Task?"
    #: How often each kiosk process looks at the shared census versions while screens are connected
    #: (a database query, no FHIR request), in milliseconds.
    watch_ms: int = 500
    #: While a screen is live it still checks this often (seconds), in case an event was missed.
    live_check_seconds: int = 120
    #: A screen's event stream is closed after this long and opened again (seconds), so that a stream
    #: never outlives a sign-out or a change of settings for long.
    stream_seconds: int = 300

    @property
    def criteria_list(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.criteria.split(",") if c.strip())


@dataclass(frozen=True)
class AuthSettings:
    idle_lock_seconds: int = 180
    max_pin_failures: int = 5
    badge_lockout_seconds: int = 300
    session_hours: int = 12
    pin_min_length: int = 4
    #: The page's reports of touches (its heartbeat, while someone fills a form without requests) hold
    #: the lock off for at most this long after the person's last real request.
    touch_grace_seconds: int = 900
    #: Wrong PINs from one client (a kiosk station), across badges: this many are free; each one beyond
    #: makes the next attempt wait 2, 4, 8 ... seconds, at most client_max_delay_seconds. One is
    #: forgotten every client_failure_leak_seconds. See docs/decisions.md for the numbers.
    client_free_failures: int = 10
    client_failure_leak_seconds: int = 600
    client_max_delay_seconds: int = 900


@dataclass(frozen=True)
class ScannerSettings:
    """How the station's barcode scanners are programmed (kiosk/scanner.py reads the notation)."""

    #: Sent before every code, e.g. "<STX>"; empty: none (see docs/decisions.md for what that costs).
    prefix: str = ""
    #: Sent after every code; "<CR>" is Enter.
    suffix: str = "<CR>"
    #: Every code begins with its AIM symbology identifier (]C0, ]d2, ]Q3 ...).
    aim_ids: bool = False


@dataclass(frozen=True)
class Settings:
    station: StationSettings = field(default_factory=StationSettings)
    unit: UnitSettings = field(default_factory=UnitSettings)
    fhir: FhirSettings = field(default_factory=FhirSettings)
    identifiers: IdentifierSettings = field(default_factory=IdentifierSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    web: WebSettings = field(default_factory=WebSettings)
    census: CensusSettings = field(default_factory=CensusSettings)
    push: PushSettings = field(default_factory=PushSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    scanner: ScannerSettings = field(default_factory=ScannerSettings)
    root: Path = PROJECT_ROOT
    source: str = "defaults"
    #: The environment the settings were read with: workflows' own settings files read their
    #: KIOSK_<WORKFLOW>_<KEY> overrides from it too (kiosk.settings_files).
    env: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def var_dir(self) -> Path:
        return self.root / "var"

    @property
    def database_url(self) -> str:
        """The database URL with a relative SQLite path resolved against the project root."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.root / url[len(prefix):])
        return url


def _coerce(value: Any, target: type, name: str, origin: str) -> Any:
    if target is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        raise ConfigError(f"Setting {name} ({origin}) must be true or false, not {value!r}.")
    if target is int:
        if isinstance(value, bool):
            raise ConfigError(f"Setting {name} ({origin}) must be a whole number, not {value!r}.")
        try:
            return int(str(value).strip())
        except ValueError:
            raise ConfigError(f"Setting {name} ({origin}) must be a whole number, not {value!r}.") from None
    if target is float:
        try:
            return float(str(value).strip())
        except ValueError:
            raise ConfigError(f"Setting {name} ({origin}) must be a number, not {value!r}.") from None
    if not isinstance(value, str):
        raise ConfigError(f"Setting {name} ({origin}) must be text, not {value!r}.")
    return value


def _env_name(path: list[str]) -> str:
    return "KIOSK_" + "_".join(p.upper() for p in path)


def _build(cls: type, data: dict[str, Any], path: list[str], env: dict[str, str], origin: str) -> Any:
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    known = {f.name for f in dataclasses.fields(cls) if f.name not in ("root", "source", "env")}
    for key in data:
        if key not in known:
            dotted = ".".join([*path, key])
            raise ConfigError(f"Setting {dotted} in {origin} is not a known setting; check its spelling.")
    for f in dataclasses.fields(cls):
        if f.name in ("root", "source", "env"):
            continue
        target = hints[f.name]
        sub_path = [*path, f.name]
        dotted = ".".join(sub_path)
        if dataclasses.is_dataclass(target):
            section = data.get(f.name, {})
            if not isinstance(section, dict):
                raise ConfigError(f"Setting {dotted} in {origin} must be a [{dotted}] table.")
            kwargs[f.name] = _build(target, section, sub_path, env, origin)
            continue
        env_key = _env_name(sub_path)
        if env_key in env:
            kwargs[f.name] = _coerce(env[env_key], target, dotted, f"environment variable {env_key}")
        elif f.name in data:
            kwargs[f.name] = _coerce(data[f.name], target, dotted, origin)
    return cls(**kwargs)


def load_settings(path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read the TOML file (KIOSK_CONFIG or config/kiosk.toml), apply KIOSK_* overrides, validate."""
    env = dict(os.environ if env is None else env)
    config_path = Path(path or env.get("KIOSK_CONFIG") or DEFAULT_CONFIG)
    if not config_path.exists():
        raise ConfigError(f"Settings file {config_path} does not exist (set KIOSK_CONFIG to its path).")
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"Settings file {config_path} is not valid TOML: {e}.") from None
    origin = str(config_path)
    settings = _build(Settings, data, [], env, origin)
    root = Path(env.get("KIOSK_ROOT") or config_path.resolve().parent.parent)
    settings = dataclasses.replace(settings, root=root, source=origin, env=env)
    validate(settings)
    return settings


AUTH_TYPES = ("none", "basic", "bearer", "smart")
SIGNING_ALGORITHMS = ("RS384", "ES384")


def proxy_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """'10.0.0.5, 10.1.0.0/24' -> the networks; ValueError for anything else."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def validate(s: Settings) -> None:
    """Check every setting; raise ConfigError naming the first wrong one."""
    _require(bool(s.station.name.strip()), "Setting station.name must not be empty (KIOSK_STATION_NAME).")
    _require(bool(s.station.id.strip()), "Setting station.id must not be empty (KIOSK_STATION_ID).")
    try:
        zone_named(s.station.timezone)
    except ValueError:
        raise ConfigError(f"Setting station.timezone must be an IANA time zone name such as America/New_York "
                          f"(KIOSK_STATION_TIMEZONE), not {s.station.timezone!r}.") from None
    _require(
        s.unit.location.startswith("Location/") or "|" in s.unit.location,
        "Setting unit.location must be 'Location/<id>' or '<identifier system>|<value>' "
        f"(KIOSK_UNIT_LOCATION), not {s.unit.location!r}.",
    )
    _require(
        _is_http_url(s.fhir.base_url),
        f"Setting fhir.base_url must be an http(s) URL (KIOSK_FHIR_BASE_URL), not {s.fhir.base_url!r}.",
    )
    for name in ("connect_timeout", "read_timeout"):
        value = getattr(s.fhir, name)
        _require(
            0 < value <= 120,
            f"Setting fhir.{name} must be between 0 and 120 seconds (KIOSK_FHIR_{name.upper()}), not {value}.",
        )
    _require(0 <= s.fhir.read_retries <= 5, "Setting fhir.read_retries must be between 0 and 5.")
    _require(10 <= s.fhir.page_size <= 1000, "Setting fhir.page_size must be between 10 and 1000.")
    auth = s.fhir.auth
    _require(
        auth.type in AUTH_TYPES,
        f"Setting fhir.auth.type must be one of {', '.join(AUTH_TYPES)} (KIOSK_FHIR_AUTH_TYPE), not {auth.type!r}.",
    )
    if auth.type == "basic":
        _require(
            bool(auth.username and auth.password),
            "Setting fhir.auth.type is basic, so fhir.auth.username and fhir.auth.password "
            "(KIOSK_FHIR_AUTH_PASSWORD) must be set.",
        )
    if auth.type == "bearer":
        _require(
            bool(auth.token),
            "Setting fhir.auth.type is bearer, so fhir.auth.token (KIOSK_FHIR_AUTH_TOKEN) must be set.",
        )
    if auth.type == "smart":
        _require(bool(auth.client_id), "Setting fhir.auth.client_id must be set for SMART Backend Services.")
        _require(
            auth.algorithm in SIGNING_ALGORITHMS,
            f"Setting fhir.auth.algorithm must be RS384 or ES384, not {auth.algorithm!r}.",
        )
        key_path = Path(auth.private_key_path) if auth.private_key_path else None
        _require(
            key_path is not None and key_path.is_file(),
            "Setting fhir.auth.private_key_path must name a readable PEM private key file "
            f"(KIOSK_FHIR_AUTH_PRIVATE_KEY_PATH), not {auth.private_key_path!r}.",
        )
        _require(bool(auth.key_id), "Setting fhir.auth.key_id (the kid of the signing key) must be set.")
        if auth.token_url:
            _require(_is_http_url(auth.token_url), "Setting fhir.auth.token_url must be an http(s) URL.")
    for name in ("mrn", "encounter", "accession", "location", "practitioner", "code_systems"):
        value = getattr(s.identifiers, name)
        _require(
            value.startswith(("urn:oid:", "urn:uuid:", "http://", "https://")),
            f"Setting identifiers.{name} must be a URI (urn:oid:..., http(s)://...), not {value!r}.",
        )
    _require(
        s.database.url.startswith(("sqlite:///", "postgresql")),
        f"Setting database.url must be a sqlite:/// or postgresql URL (KIOSK_DATABASE_URL), not {s.database.url!r}.",
    )
    _require(
        10 <= s.auth.idle_lock_seconds <= 3600,
        f"Setting auth.idle_lock_seconds must be between 10 and 3600, not {s.auth.idle_lock_seconds}.",
    )
    _require(1 <= s.auth.max_pin_failures <= 20, "Setting auth.max_pin_failures must be between 1 and 20.")
    _require(0 <= s.auth.badge_lockout_seconds <= 86400,
             "Setting auth.badge_lockout_seconds must be between 0 and 86400.")
    _require(1 <= s.auth.session_hours <= 24, "Setting auth.session_hours must be between 1 and 24.")
    _require(4 <= s.auth.pin_min_length <= 12, "Setting auth.pin_min_length must be between 4 and 12.")
    _require(1 <= s.web.port <= 65535, f"Setting web.port must be a TCP port number, not {s.web.port}.")
    _require(1 <= s.web.workers <= 32, f"Setting web.workers must be between 1 and 32, not {s.web.workers}.")
    _require(2 <= s.web.threads <= 64, f"Setting web.threads must be between 2 and 64, not {s.web.threads}.")
    _require(0 <= s.web.event_streams <= 256,
             f"Setting web.event_streams must be between 0 and 256 (KIOSK_WEB_EVENT_STREAMS), not "
             f"{s.web.event_streams}.")
    _require(not s.push.notify_url or s.push.notify_url.startswith(("http://", "https://")),
             f"Setting push.notify_url must be an http(s) address or empty (KIOSK_PUSH_NOTIFY_URL), not "
             f"{s.push.notify_url!r}.")
    _require(all("?" in c and c.split("?")[0].isalpha() for c in s.push.criteria_list),
             f"Setting push.criteria must be Type?params criteria, comma-separated (KIOSK_PUSH_CRITERIA), not "
             f"{s.push.criteria!r}.")
    _require(50 <= s.push.watch_ms <= 60_000,
             f"Setting push.watch_ms must be between 50 and 60000 (KIOSK_PUSH_WATCH_MS), not {s.push.watch_ms}.")
    _require(10 <= s.push.live_check_seconds <= 3600,
             f"Setting push.live_check_seconds must be between 10 and 3600 (KIOSK_PUSH_LIVE_CHECK_SECONDS), not "
             f"{s.push.live_check_seconds}.")
    _require(10 <= s.push.stream_seconds <= 3600,
             f"Setting push.stream_seconds must be between 10 and 3600 (KIOSK_PUSH_STREAM_SECONDS), not "
             f"{s.push.stream_seconds}.")
    _require(0 <= s.census.trust_seconds <= 3600,
             f"Setting census.trust_seconds must be between 0 and 3600 (KIOSK_CENSUS_TRUST_SECONDS), not "
             f"{s.census.trust_seconds}.")
    _require(0 <= s.census.overlap_ms <= 60_000,
             f"Setting census.overlap_ms must be between 0 and 60000 (KIOSK_CENSUS_OVERLAP_MS), not "
             f"{s.census.overlap_ms}.")
    _require(0 < s.census.downtime_keep_hours <= 72,
             f"Setting census.downtime_keep_hours must be more than 0 and at most 72 "
             f"(KIOSK_CENSUS_DOWNTIME_KEEP_HOURS), not {s.census.downtime_keep_hours}.")
    _require(1 <= s.web.fhir_slots < s.web.threads,
             f"Setting web.fhir_slots must be at least 1 and less than web.threads ({s.web.threads}), so that a "
             f"thread is always free for sign-in and static files; not {s.web.fhir_slots}.")
    _require(0 <= s.web.hsts_seconds <= 2 * 365 * 86400,
             f"Setting web.hsts_seconds must be between 0 and two years, not {s.web.hsts_seconds}.")
    try:
        proxy_networks(s.web.trusted_proxies)
    except ValueError:
        raise ConfigError("Setting web.trusted_proxies (KIOSK_WEB_TRUSTED_PROXIES) must be IP addresses or networks "
                          f"separated by commas, not {s.web.trusted_proxies!r}.") from None
    origin = urlsplit(s.web.public_origin)
    _require(not s.web.public_origin or (origin.scheme in ("http", "https") and bool(origin.netloc)
                                         and origin.path in ("", "/") and not origin.query),
             "Setting web.public_origin (KIOSK_WEB_PUBLIC_ORIGIN) must be empty or a scheme and host such as "
             f"https://kiosk.example.org, not {s.web.public_origin!r}.")
    _require(10 <= s.auth.touch_grace_seconds <= 4 * 3600,
             "Setting auth.touch_grace_seconds must be between 10 and 14400.")
    _require(1 <= s.auth.client_free_failures <= 100, "Setting auth.client_free_failures must be between 1 and 100.")
    _require(10 <= s.auth.client_failure_leak_seconds <= 86400,
             "Setting auth.client_failure_leak_seconds must be between 10 and 86400.")
    _require(1 <= s.auth.client_max_delay_seconds <= 86400,
             "Setting auth.client_max_delay_seconds must be between 1 and 86400.")
    for name, check in (("prefix", check_prefix), ("suffix", check_suffix)):
        value = getattr(s.scanner, name)
        try:
            check(parse_keys(value))
        except ScannerSettingError as e:
            raise ConfigError(f"Setting scanner.{name} (KIOSK_SCANNER_{name.upper()}) is {value!r}, but {e}.") from None
