"""Paging settings: config/paging.toml (every key overridable by KIOSK_PAGING_<TABLE>_<KEY>) and the two
secrets, which come from the environment only: KIOSK_PAGING_SMTP_PASSWORD and KIOSK_PAGING_WEBHOOK_SECRET.
A file that tries to hold one of them is refused at start-up (it is not a paging setting)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kiosk.config import ConfigError, Settings
from kiosk.settings_files import SettingsFile, between, checked, not_empty, one_of, read_dataclass, uri
from kiosk.tomlfile import TomlFile

URGENCIES = ("routine", "urgent", "stat")
CHANNELS = ("smtp", "webhook", "")
ABOUT_PATIENT = ("room-initials", "room", "none")


def _http_url(value: object) -> str | None:
    if value == "":
        return None
    parts = urlsplit(str(value))
    return None if parts.scheme in ("http", "https") and parts.netloc else f"must be an http(s) URL, not {value!r}"


def _base_url(value: object) -> str | None:
    return "must not be empty" if value == "" else _http_url(value)


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP server that takes e-mail for people, and for pagers and phones through their carriers'
    e-mail gateways (<number>@<domain>)."""

    host: str = "127.0.0.1"
    port: int = field(default=25, metadata=checked(between(1, 65535)))
    from_address: str = field(default="4west-kiosk@riverside.example", metadata=checked(not_empty))
    username: str = ""
    starttls: bool = False
    timeout_seconds: float = field(default=10, metadata=checked(between(0.5, 120)))
    #: A pager number N is sent to N@pager_domain; empty: pager numbers are not reached by e-mail.
    pager_domain: str = ""
    sms_domain: str = ""


@dataclass(frozen=True)
class WebhookSettings:
    """A secure-messaging platform that takes pages as signed JSON POSTs (empty url: none)."""

    url: str = field(default="", metadata=checked(_http_url))
    timeout_seconds: float = field(default=5, metadata=checked(between(0.5, 60)))
    #: Signed acknowledgements whose timestamp is further than this from the kiosk's clock are refused.
    max_skew_seconds: int = field(default=300, metadata=checked(between(10, 3600)))


@dataclass(frozen=True)
class ChannelSettings:
    """How each kind of telecom (ContactPoint.system) is reached: smtp, webhook, or "" (not at all)."""

    pager: str = field(default="smtp", metadata=checked(one_of(*CHANNELS)))
    sms: str = field(default="smtp", metadata=checked(one_of(*CHANNELS)))
    email: str = field(default="smtp", metadata=checked(one_of(*CHANNELS)))
    other: str = field(default="webhook", metadata=checked(one_of(*CHANNELS)))


@dataclass(frozen=True)
class RetrySettings:
    """A message whose channel could not be reached is tried again after first_delay_seconds, doubling up
    to max_delay_seconds, at most max_attempts times. A send cut off mid-way is never retried."""

    max_attempts: int = field(default=10, metadata=checked(between(1, 100)))
    first_delay_seconds: int = field(default=10, metadata=checked(between(1, 3600)))
    max_delay_seconds: int = field(default=300, metadata=checked(between(1, 86400)))
    #: A message claimed longer ago than this was cut off mid-send (the sender stopped): "Check delivery".
    stale_claim_seconds: int = field(default=120, metadata=checked(between(10, 3600)))

    def delay_after(self, attempts: int) -> float:
        return float(min(self.max_delay_seconds, self.first_delay_seconds * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class EscalationSettings:
    """Without an acknowledgement, a page is sent again after <urgency>_repeat_minutes and the backup is
    paged after <urgency>_backup_minutes, both counted from the page."""

    routine_repeat_minutes: float = field(default=30, metadata=checked(between(0.5, 24 * 60)))
    routine_backup_minutes: float = field(default=60, metadata=checked(between(0.5, 24 * 60)))
    urgent_repeat_minutes: float = field(default=10, metadata=checked(between(0.5, 24 * 60)))
    urgent_backup_minutes: float = field(default=20, metadata=checked(between(0.5, 24 * 60)))
    stat_repeat_minutes: float = field(default=3, metadata=checked(between(0.5, 24 * 60)))
    stat_backup_minutes: float = field(default=6, metadata=checked(between(0.5, 24 * 60)))

    def repeat_after(self, urgency: str) -> float:
        return float(getattr(self, f"{urgency}_repeat_minutes"))

    def backup_after(self, urgency: str) -> float:
        return float(getattr(self, f"{urgency}_backup_minutes"))


@dataclass(frozen=True)
class PagingSettings:
    """config/paging.toml as written (see the file for what each key means)."""

    #: What a pager shows at most, the whole message included (callback and acknowledgement link).
    pager_limit: int = field(default=240, metadata=checked(between(80, 2000)))
    #: The number a page asks to call back: the station's extension.
    callback_number: str = field(default="4321", metadata=checked(not_empty))
    #: How a page names the unit ("Call 4 West at 4321").
    unit_name: str = field(default="4 West", metadata=checked(not_empty))
    #: What a page about a patient says of them: room and initials, the room only, or nothing.
    about_patient: str = field(default="room-initials", metadata=checked(one_of(*ABOUT_PATIENT)))
    #: Fold accents and other letters pagers cannot show into plain ASCII (Nguyễn -> Nguyen).
    ascii_only: bool = True
    #: The kiosk's address as the people paged reach it (acknowledgement links start with it).
    public_url: str = field(default="http://127.0.0.1:8000", metadata=checked(_base_url))
    #: An acknowledgement link works once, for this many hours.
    ack_link_hours: int = field(default=24, metadata=checked(between(1, 24 * 7)))
    #: The on-call role paged when nobody acknowledges a page to a person (the charge nurse).
    backup_role: str = "charge-nurse"
    page_system: str = field(default="https://kiosk.example.org/fhir/sid/page", metadata=checked(uri))
    message_system: str = field(default="https://kiosk.example.org/fhir/sid/page-message", metadata=checked(uri))
    #: A PractitionerRole.code meaning a nurse (terminology.hl7.org practitioner-role): the nurses a call
    #: light may page.
    nurse_role_code: str = "nurse"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)
    channels: ChannelSettings = field(default_factory=ChannelSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    escalation: EscalationSettings = field(default_factory=EscalationSettings)


@dataclass(frozen=True)
class PagingSecrets:
    smtp_password: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class PagingConfig:
    settings: PagingSettings
    secrets: PagingSecrets
    source: str = "config/paging.toml"


def _parse(file: TomlFile, _settings: Settings, env: Mapping[str, str]) -> PagingConfig:
    paging = read_dataclass(file, PagingSettings, env, "KIOSK_PAGING", "paging")
    secrets = PagingSecrets(smtp_password=env.get("KIOSK_PAGING_SMTP_PASSWORD", ""),
                            webhook_secret=env.get("KIOSK_PAGING_WEBHOOK_SECRET", ""))
    esc = paging.escalation
    for urgency in URGENCIES:
        if esc.repeat_after(urgency) >= esc.backup_after(urgency):
            raise file.error(("escalation", f"{urgency}_repeat_minutes"),
                             f"escalation.{urgency}_repeat_minutes must be fewer minutes than "
                             f"escalation.{urgency}_backup_minutes (got {esc.repeat_after(urgency):g} and "
                             f"{esc.backup_after(urgency):g}).")
    if paging.webhook.url and len(secrets.webhook_secret) < 16:
        raise ConfigError("Paging posts to webhook.url, so KIOSK_PAGING_WEBHOOK_SECRET must be set in the "
                          "environment (16 characters or more) to sign what it sends.")
    if paging.smtp.username and not secrets.smtp_password:
        raise ConfigError("smtp.username is set in the paging settings, so KIOSK_PAGING_SMTP_PASSWORD must be set "
                          "in the environment.")
    return PagingConfig(paging, secrets, file.name)


PAGING_FILE = SettingsFile("paging", _parse)
