"""The people a page can go to, and how each is reached.

A recipient is a PractitionerRole (the role someone plays, with its own pager or phone), or, on a
server without PractitionerRole, a Practitioner. Its telecoms (ContactPoint) decide the channel, by
system, as config/paging.toml's [channels] says: an e-mail address is sent by SMTP; a pager or SMS
number through the carrier's e-mail gateway (<number>@<pager_domain>) or the secure-messaging
platform's webhook. The first telecom by rank that the settings can reach is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .settings import PagingSettings

PAGEABLE_SYSTEMS = ("pager", "sms", "email", "other")
SYSTEM_WORDS = {"pager": "pager", "sms": "phone (text)", "email": "e-mail", "other": "messaging app"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Telecom:
    system: str
    value: str
    rank: int | None = None


@dataclass(frozen=True)
class Route:
    """How one message reaches a recipient."""

    channel: str  # smtp, webhook
    address: str  # the e-mail address (smtp) or the telecom value (webhook)
    system: str  # the telecom's system
    value: str

    @property
    def words(self) -> str:
        return SYSTEM_WORDS.get(self.system, self.system)


@dataclass(frozen=True)
class Recipient:
    ref: str  # 'PractitionerRole/<id>' or 'Practitioner/<id>'
    name: str  # 'Dr. Folake Adeyemi'
    role: str  # 'Attending physician', 'Nurse', 'Hospitalist'
    practitioner: str | None = None  # 'Practitioner/<id>'
    identifier: str | None = None  # the PractitionerRole's identifier in on-call.toml's role_system
    telecoms: tuple[Telecom, ...] = ()
    codes: tuple[str, ...] = ()  # PractitionerRole.code codes (practitioner-role)
    locations: tuple[str, ...] = ()  # 'Location/<id>' where the role is practised


def _digits(value: str) -> str:
    return re.sub(r"[^0-9]", "", value)


def route(telecom: Telecom, settings: PagingSettings) -> Route | None:
    """How this telecom is reached with these settings, or None when it is not."""
    channel = getattr(settings.channels, telecom.system, "") if telecom.system in PAGEABLE_SYSTEMS else ""
    value = telecom.value.strip()
    if not channel or not value:
        return None
    if channel == "webhook":
        return Route("webhook", value, telecom.system, value) if settings.webhook.url else None
    if not settings.smtp.host:
        return None
    if telecom.system == "email":
        return Route("smtp", value, "email", value) if EMAIL.match(value) else None
    domain = {"pager": settings.smtp.pager_domain, "sms": settings.smtp.sms_domain}.get(telecom.system, "")
    digits = _digits(value)
    if not domain or not digits:
        return None
    return Route("smtp", f"{digits}@{domain}", telecom.system, value)


def best_route(recipient: Recipient, settings: PagingSettings) -> Route | None:
    ranked = sorted(recipient.telecoms, key=lambda t: (t.rank if t.rank is not None else 1_000_000,
                                                       PAGEABLE_SYSTEMS.index(t.system)
                                                       if t.system in PAGEABLE_SYSTEMS else 99))
    for telecom in ranked:
        found = route(telecom, settings)
        if found is not None:
            return found
    return None


def unreachable_reason(recipient: Recipient) -> str:
    systems = sorted({t.system for t in recipient.telecoms})
    if not systems:
        return "No pager, phone or e-mail is on record for this role."
    return (f"Has {', '.join(SYSTEM_WORDS.get(s, s) for s in systems)} on record, which this kiosk is not set "
            "up to reach (config/paging.toml [channels]).")


@dataclass(frozen=True)
class Choice:
    """A recipient offered on the compose screen: why they are listed and how they would be reached."""

    recipient: Recipient
    route: Route | None
    why: str  # 'Attending', 'Care team', 'On call', '4 West'
    on_call_role: str | None = None  # the on-call role key when listed as on call
    problem: str | None = None  # why they cannot be paged from here

    @property
    def key(self) -> str:
        """What the form sends back: the recipient, and the on-call role it was chosen as."""
        return f"{self.recipient.ref}|{self.on_call_role or ''}"


@dataclass(frozen=True)
class Group:
    title: str
    choices: list[Choice]


@dataclass
class RecipientList:
    groups: list[Group] = field(default_factory=list)
    #: What the server could not tell (a search it does not offer), said on the screen.
    notes: list[str] = field(default_factory=list)

    def find(self, key: str) -> Choice | None:
        return next((c for g in self.groups for c in g.choices if c.key == key), None)

    @property
    def empty(self) -> bool:
        return not any(g.choices for g in self.groups)


def choice(recipient: Recipient, settings: PagingSettings, why: str, on_call_role: str | None = None) -> Choice:
    found = best_route(recipient, settings)
    return Choice(recipient, found, why, on_call_role, None if found else unreachable_reason(recipient))
