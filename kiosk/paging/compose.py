"""What a pager shows, built in one place so that the compose screen's preview is the text that is sent.

    STAT 4 West Bed 4W-405A J.M.: Question about the patient. BP 82/40 after the dose. Call 4 West at 4321.
    Ack http://kiosk.example/paging/a/3f9c0a1b2c4d-0.Qm9vZ2xlWXo

The whole message, acknowledgement link included, fits the pager's limit (settings pager_limit): the
free text may use what the rest leaves. About a patient, the message carries the room and initials
only by default (minimum necessary; setting about_patient). With ascii_only, letters a pager cannot
show are folded to plain ASCII (Nguyễn -> Nguyen) before anything is counted or shown.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .settings import PagingSettings

URGENCY_WORDS = {"routine": "Routine", "urgent": "URGENT", "stat": "STAT"}


@dataclass(frozen=True)
class Template:
    key: str
    label: str
    text: str


#: The compose screen's templates, in the order shown.
TEMPLATES: tuple[Template, ...] = (
    Template("call-unit", "Call the unit", "Please call the unit."),
    Template("patient-question", "Patient question", "Question about the patient."),
    Template("family", "Family at bedside", "Family at the bedside asking to speak with you."),
    Template("result", "Result to review", "Result to review."),
    Template("transport", "Transport delayed", "Transport delayed."),
)
#: Templates other workflows use (a call light pages a nurse); not on the compose screen.
CALL_LIGHT = Template("call-light", "Call light", "Call light:")
ALL_TEMPLATES = {t.key: t for t in (*TEMPLATES, CALL_LIGHT)}

#: Free text that a pager shows as typed: printable characters, no line breaks or control characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def plain(text: str, ascii_only: bool) -> str:
    """One line of text as a pager shows it: control characters and runs of spaces made single spaces,
    and with `ascii_only` accents removed and anything else outside ASCII dropped."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    if ascii_only:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        text = _SPACES.sub(" ", text).strip()
    return text


@dataclass(frozen=True)
class About:
    """The patient a page is about, as the page may name them: room and initials."""

    room: str  # the bed's name: '4W-405A'
    initials: str  # 'J.M.'

    def words(self, mode: str) -> str:
        if mode == "room-initials":
            return " ".join(p for p in (f"Bed {self.room}" if self.room else "", self.initials) if p)
        if mode == "room":
            return f"Bed {self.room}" if self.room else ""
        return ""


@dataclass(frozen=True)
class Draft:
    """What a person chose on the compose screen (or another workflow asks for)."""

    urgency: str
    template: str | None
    free_text: str
    callback: str
    about: About | None = None


@dataclass(frozen=True)
class Composed:
    """The message as the pager will show it. `link` is the acknowledgement link it ends with."""

    text: str
    head: str  # everything before the free text
    free_text: str
    tail: str  # everything after it, the link included
    limit: int
    subject: str
    callback_text: str = ""  # 'Call 4 West at 4321.'

    @property
    def record_text(self) -> str:
        """The message without its acknowledgement link: what the FHIR record says (the link would let
        anyone who reads the record acknowledge the page)."""
        return " ".join(p for p in (self.head, self.free_text, self.callback_text) if p)

    @property
    def length(self) -> int:
        return len(self.text)

    @property
    def room_for_text(self) -> int:
        """How many characters of free text the pager still takes (a space either side of it)."""
        return max(0, self.limit - len(self.head) - len(self.tail) - 2)

    @property
    def too_long(self) -> bool:
        return self.length > self.limit


def compose(draft: Draft, settings: PagingSettings, link: str, prefix: str = "") -> Composed:
    """The message for `draft`, ending with the acknowledgement `link`. `prefix` marks a repeat or an
    escalation ("REPEAT", "BACKUP for Dr. Adeyemi, no answer")."""
    ascii_only = settings.ascii_only
    unit = plain(settings.unit_name, ascii_only)
    about = draft.about.words(settings.about_patient) if draft.about else ""
    template = ALL_TEMPLATES.get(draft.template or "")
    head_parts = [plain(prefix, ascii_only) + ":" if prefix else "",
                  URGENCY_WORDS.get(draft.urgency, draft.urgency.upper()), unit,
                  plain(about, ascii_only)]
    head = " ".join(p for p in head_parts if p) + ":"
    if template is not None:
        head += " " + template.text
    free_text = plain(draft.free_text, ascii_only)
    if free_text and free_text[-1] not in ".!?":  # a sentence, so the callback reads as the next one
        free_text += "."
    callback = plain(draft.callback, ascii_only)
    callback_text = f"Call {unit} at {callback}." if callback else ""
    tail = " ".join(p for p in (callback_text, f"Ack {link}") if p)
    text = " ".join(p for p in (head, free_text, tail) if p)
    subject = f"{URGENCY_WORDS.get(draft.urgency, draft.urgency)} page from {unit}"
    return Composed(text=text, head=head, free_text=free_text, tail=tail, limit=settings.pager_limit,
                    subject=plain(subject, ascii_only), callback_text=callback_text)


def fit(draft: Draft, settings: PagingSettings, link: str, prefix: str) -> Composed:
    """A repeat or an escalation: the first message with `prefix`, its free text shortened (ending in
    "...") when the prefix would take the message past the pager's limit."""
    composed = compose(draft, settings, link, prefix)
    if not composed.too_long:
        return composed
    room = composed.room_for_text - 3
    cut = composed.free_text[:room].rstrip() + "..." if room > 0 else ""
    shorter = Draft(draft.urgency, draft.template, cut, draft.callback, draft.about)
    return compose(shorter, settings, link, prefix)
