"""One way for every workflow to change records on the FHIR server (DESIGN.md "Changes").

A workflow builds a `Change` from the resources a person saw: each update carries the edited resource
and, as If-Match, the version the person saw on screen (`Seen`, sent back with the form); each create
that a retry or a double tap could repeat carries an If-None-Exist query. The change declares what it
may need the server to allow (`Needs`), and `send` checks that against the server's
CapabilityStatement before anything goes out. It is sent as one request when it touches one resource,
otherwise as one transaction Bundle.

`send` ends in one of a closed set of outcomes:

- `Done`: the server confirmed every entry;
- `Conflict`: something the person saw was changed at another station (HTTP 412);
- `NotAllowed`: the server's statement does not allow what the change needs (nothing was sent);
- `Unknown`: the change was sent and its answer was lost;
- `Failed`: the server answered with an error.

After a conflict, a failure or a lost answer the server may still hold part of the change (a server
that breaks transaction atomicity, or a write that landed before the connection dropped). So before
the person is told anything, `send` re-reads everything the change touched, in one request, and the
outcome carries what the server now holds (`ServerState`): the kiosk never says "nothing was written"
without having seen it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .capability import Capabilities
from .client import Transaction, WriteResult, new_full_url
from .errors import FhirConflict, FhirError, FhirOutcomeUnknown, FhirUnavailable
from .gateway import FhirGateway
from .refs import reference_of, version_of

#: (resource type, interaction); the type is "" for a system interaction ("transaction").
Interaction = tuple[str, str]
TRANSACTION: Interaction = ("", "transaction")


@dataclass(frozen=True)
class Needs:
    """What a change may need the server to allow: every way the change can turn out (isolating an
    empty or an occupied bed, cleaning a bed with or without a job ...). A screen offers the change
    only when the server allows all of it, so a change offered is never refused on click for a reason
    the screen could have shown. 'conditional-create' is a create with If-None-Exist on the identifier."""

    interactions: tuple[Interaction, ...]

    @classmethod
    def of(cls, *interactions: Interaction) -> Needs:
        return cls(tuple(interactions))

    def refused(self, caps: Capabilities) -> str | None:
        """Why the server will not allow this, or None when it allows all of it."""
        for resource_type, interaction in self.interactions:
            reason = caps.reason(resource_type, interaction)
            if reason:
                return reason
        return None

    def covers(self, interaction: Interaction) -> bool:
        return interaction in self.interactions


class Seen(dict[str, str]):
    """'Type/id' -> the version a person was shown. Travels with the form as text
    ('Location/1@3 Encounter/9@2') and comes back as the If-Match of what the change updates."""

    def text(self) -> str:
        return " ".join(f"{ref}@{version}" for ref, version in sorted(self.items()))

    @classmethod
    def parse(cls, text: str | None) -> Seen:
        """The inverse of `text`; anything that is not 'Type/id@version' is ignored."""
        seen = cls()
        for part in (text or "").split():
            ref, _, version = part.rpartition("@")
            if ref.count("/") == 1 and version:
                seen[ref] = version
        return seen

    @classmethod
    def of(cls, versions: Iterable[tuple[str, str | None]]) -> Seen:
        return cls({ref: version for ref, version in versions if version})


class NotSeen(Exception):
    """A change would update a resource whose version the person was not shown: nothing is sent."""

    def __init__(self, references: list[str]):
        super().__init__(", ".join(references))
        self.references = references


class Undeclared(ValueError):
    """A change holds an update or create its declared Needs do not cover (a programming error: the
    screen would have offered something the server may refuse)."""


@dataclass(frozen=True)
class Create:
    """A new resource: POSTed (with If-None-Exist when a retry could repeat it), or, `at_id`, PUT to the
    id it carries (update as create) on a server without conditional create, after the workflow has
    read that the id is free."""

    resource: dict[str, Any]
    if_none_exist: str | None = None
    at_id: bool = False
    #: The urn:uuid by which other entries of the same transaction reference this new resource (the server
    #: puts the new resource's 'Type/id' in its place).
    full_url: str = field(default_factory=new_full_url)

    @property
    def interaction(self) -> Interaction:
        kind = "update-create" if self.at_id else "conditional-create" if self.if_none_exist else "create"
        return self.resource["resourceType"], kind

    @property
    def reference(self) -> str:
        """'Type/id' of a create at an id the kiosk chose."""
        return reference_of(self.resource)


def edit(resource: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """A copy of a resource read from the server, to change and send (without the meta the server
    sets), and the version it was read at."""
    version = version_of(resource)
    if not version:
        raise ValueError(f"{reference_of(resource)} was read without a version")
    out = copy.deepcopy(dict(resource))
    meta = {k: v for k, v in (out.pop("meta", None) or {}).items() if k not in ("versionId", "lastUpdated")}
    if meta:
        out["meta"] = meta
    return out, version


@dataclass
class Change:
    """What one action writes. `name` says which action (for errors and the audit trail); `names` gives
    references the words a person knows them by ('bed 4W-401'), for what the outcome tells them.

    `needs` is what the action declared it may need (see Needs): a change holding anything its needs
    do not cover is refused as a programming error, when it is added or when the needs are declared
    (shared builders make the change, the workflow that offers it declares its needs)."""

    name: str
    needs: Needs | None = None
    updates: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    creates: list[Create] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    #: References of updates sent unchanged, only for their ifMatch (see `guard`).
    guards: set[str] = field(default_factory=set)

    def _declared(self, interaction: Interaction) -> None:
        if self.needs is None:
            return
        if not self.needs.covers(interaction) or (len(self) > 1 and not self.needs.covers(TRANSACTION)):
            what = interaction[1] + (f" of {interaction[0]}" if interaction[0] else "")
            raise Undeclared(f"'{self.name}' does not declare {what if len(self) <= 1 else 'a transaction'}")

    def declare(self, needs: Needs) -> Change:
        """Set what the action that offers this change declared; Undeclared if it holds more."""
        self.needs = needs
        for interaction in self.interactions():
            self._declared(interaction)
        return self

    def __len__(self) -> int:
        return len(self.updates) + len(self.creates)

    def update(self, edited: tuple[dict[str, Any], str], name: str | None = None) -> None:
        """Add an update: the changed resource and the version it was read at (see `edit`)."""
        self.updates.append(edited)
        self._declared((edited[0]["resourceType"], "update"))
        if name:
            self.names[reference_of(edited[0])] = name

    def guard(self, edited: tuple[dict[str, Any], str], name: str | None = None) -> None:
        """Add a resource written unchanged, for its ifMatch only: a change made to it at another station
        meanwhile refuses the whole transaction (a bed reserved twice). After a failed write its re-read
        says nothing of it: the server holding what was sent says nothing of who wrote it."""
        self.update(edited, name)
        self.guards.add(reference_of(edited[0]))

    def create(self, resource: dict[str, Any], if_none_exist: str | None = None, name: str | None = None,
               full_url: str | None = None) -> str:
        """Add a create; returns the reference ('urn:uuid:...', `full_url` when given) by which other
        resources of this change point to the new one (an order's Provenance and co-signature Task).
        Only a change sent as one transaction may use it."""
        new = Create(resource, if_none_exist, full_url=full_url or new_full_url())
        self._add_create(new, name)
        return new.full_url

    def create_at(self, resource: dict[str, Any], name: str | None = None) -> None:
        """Add an update as create: a PUT to the id the resource carries, without If-Match. Only for an id
        derived from the resource's identifier that the workflow has just read to be free (a PUT to an id
        that exists replaces it)."""
        if not resource.get("id"):
            raise ValueError("an update as create needs the id the kiosk chose")
        self._add_create(Create(resource, at_id=True), name)

    def _add_create(self, create: Create, name: str | None) -> None:
        self.creates.append(create)
        self._declared(create.interaction)
        if name:
            self.names[_create_key(len(self.creates) - 1)] = name

    def interactions(self) -> list[Interaction]:
        """What this change, as built, needs the server to allow."""
        needed = [(r["resourceType"], "update") for r, _ in self.updates]
        needed += [c.interaction for c in self.creates]
        if len(self) > 1:
            needed.append(TRANSACTION)
        return list(dict.fromkeys(needed))

    def updated(self) -> list[str]:
        return [reference_of(r) for r, _ in self.updates]

    def if_match_seen(self, seen: Mapping[str, str]) -> None:
        """Send, as If-Match, the version of each updated resource that the person saw: the server then
        refuses the change if anything moved on since it was shown, not only since it was read. Raises
        NotSeen (nothing sent) for an updated resource the screen did not show."""
        missing = [ref for ref in self.updated() if not seen.get(ref)]
        if missing:
            raise NotSeen(missing)
        self.updates = [(resource, seen[ref]) for (resource, _), ref in zip(self.updates, self.updated(),
                                                                              strict=True)]

    def keys(self) -> list[str]:
        """Every entry's key, in the order the change is sent: updates ('Type/id'), then creates ('new#<n>')."""
        return [*self.updated(), *(_create_key(i) for i in range(len(self.creates)))]

    def name_of(self, key: str) -> str:
        """The words for an entry: as the workflow named it, else from the resource itself."""
        if key in self.names:
            return self.names[key]
        if key.startswith("new#"):
            return "a new " + _words(self.creates[int(key[4:])].resource)
        resource = next((r for r, _ in self.updates if reference_of(r) == key), None)
        return _words(resource) if resource is not None else key


#: How a person calls each kind of record the kiosk writes.
RECORD_WORDS = {
    "Encounter": "hospital stay", "Task": "job", "Flag": "alert", "ServiceRequest": "order",
    "Provenance": "record of who entered it", "Communication": "message", "CommunicationRequest": "page",
    "CareTeam": "care team", "SupplyRequest": "supply order", "Patient": "patient record",
}


def _words(resource: Mapping[str, Any]) -> str:
    rtype = str(resource.get("resourceType"))
    if rtype == "Location":
        return f"{resource.get('name') or 'location'}"
    words = RECORD_WORDS.get(rtype, rtype)
    code = resource.get("code")
    text = code.get("text") if isinstance(code, dict) else None
    return f"{words} ({text})" if text else words


def _create_key(index: int) -> str:
    return f"new#{index}"


# ---------------------------------------------------------------- what the server holds now


@dataclass(frozen=True)
class ServerState:
    """What a re-read after a failed or unanswered change found, entry by entry. Entries are keyed
    'Type/id' for updates and 'new#<n>' for the n-th create; `Change.name_of` gives their words.
    `checked` is False when the re-read itself failed."""

    checked: bool
    written: tuple[str, ...] = ()
    not_written: tuple[str, ...] = ()
    #: Changed since the person saw it, but not to what this change sent (another station).
    changed_elsewhere: tuple[str, ...] = ()
    #: Entries the re-read cannot decide (a create without an identifier to look for).
    undecided: tuple[str, ...] = ()
    #: 'Type/id' -> the resource as the server holds it now (None: it is gone).
    current: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    #: 'new#<n>' -> 'Type/id' of what the re-read found for a create.
    created: dict[str, str] = field(default_factory=dict)

    @property
    def nothing_written(self) -> bool:
        return self.checked and not self.written and not self.undecided

    @property
    def all_written(self) -> bool:
        return self.checked and not self.not_written and not self.changed_elsewhere and not self.undecided

    def refs(self, keys: Iterable[str]) -> list[str]:
        """'Type/id' of entries (a create the re-read found by its id), for the audit trail."""
        return [self.created.get(k, k) for k in keys]

    def sentence(self, name_of: Callable[[str], str] = str) -> str:
        """What the server now holds, in words (`name_of` turns an entry key into them)."""
        if not self.checked:
            return "The kiosk could not check what the FHIR server holds now."
        if self.nothing_written:
            return "Nothing was written (checked on the FHIR server)."
        if self.all_written:
            return "All of it is saved on the FHIR server (checked)."
        parts = []
        if self.written:
            parts.append("Saved on the FHIR server: " + ", ".join(map(name_of, self.written)) + ".")
        if self.not_written or self.changed_elsewhere:
            parts.append("Not saved: " + ", ".join(map(name_of, [*self.not_written, *self.changed_elsewhere])) + ".")
        if self.undecided:
            parts.append("Could not be checked: " + ", ".join(map(name_of, self.undecided)) + ".")
        return " ".join(parts)

    def audit_text(self, name_of: Callable[[str], str] | None = None) -> str:
        """The same in references, for the audit trail; with `name_of` (Change.name_of: words that are
        never patient data), each reference follows its words: 'bed 4W-401 (Location/12)'."""
        if not self.checked:
            return "re-read failed"
        if self.nothing_written:
            return "nothing written"
        parts = []
        for label, keys in (("written", self.written), ("not written", [*self.not_written, *self.changed_elsewhere]),
                            ("unchecked", self.undecided)):
            if keys:
                refs = self.refs(keys)
                if name_of is not None:
                    refs = [named(name_of(key), ref) for key, ref in zip(keys, refs, strict=True)]
                parts.append(f"{label} " + ", ".join(refs))
        return "; ".join(parts)


def named(words: str, ref: str) -> str:
    """'4W-401 (Location/12)'; the reference alone when there are no words other than it."""
    if ref.startswith("new#"):  # a create the re-read could not find: its words are all there is
        return words or ref
    return ref if not words or words == ref else f"{words} ({ref})"


def _contains(whole: Any, part: Any) -> bool:
    """Does the server's copy hold everything this change sent? Servers may add elements (meta, text)
    or normalise, so this asks for the sent elements, not for equality."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k == "meta" or _contains(whole.get(k), v) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and len(whole) == len(part) and all(
            _contains(w, p) for w, p in zip(whole, part, strict=True))
    return whole == part


def reread(gw: FhirGateway, change: Change) -> ServerState:
    """Read back, in one request, everything a change touched, and say entry by entry whether the
    server now holds what the change sent. Never raises: a failed re-read says it could not check."""
    try:
        targets = [*change.updated(), *(_reread_target(c) for c in change.creates if _reread_target(c))]
        found = gw.client.batch_read(targets, batch=gw.capabilities.allows_batch())
    except FhirError:
        return ServerState(checked=False)
    written: list[str] = []
    not_written: list[str] = []
    elsewhere: list[str] = []
    undecided: list[str] = []
    current: dict[str, dict[str, Any] | None] = {}
    created: dict[str, str] = {}
    answers = iter(found)
    for resource, version in change.updates:
        ref = reference_of(resource)
        now = next(answers)
        now = now if isinstance(now, dict) else None
        current[ref] = now
        if ref in change.guards:
            continue  # unchanged by design: neither "saved" nor "not saved" means anything for it
        if now is not None and version_of(now) == version:
            not_written.append(ref)
        elif now is not None and _contains(now, resource):
            written.append(ref)
        else:
            elsewhere.append(ref)
    for index, create in enumerate(change.creates):
        key = _create_key(index)
        if not _reread_target(create):
            undecided.append(key)
            continue
        matches = next(answers)
        if create.at_id:
            ref = create.reference
            current[ref] = matches if isinstance(matches, dict) else None
            if not isinstance(matches, dict):
                not_written.append(key)
            elif _contains(matches, create.resource):
                written.append(key)
                created[key] = ref
            else:
                elsewhere.append(key)
            continue
        if isinstance(matches, list) and matches:
            written.append(key)
            created[key] = reference_of(matches[0])
            for match in matches:
                current[reference_of(match)] = match
        else:
            not_written.append(key)
    return ServerState(True, tuple(written), tuple(not_written), tuple(elsewhere), tuple(undecided), current,
                       created)


# ---------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome:
    """How a change ended. `message` is a sentence a person can read (no patient data from the server:
    the gateway's messages are scrubbed)."""

    message: str

    @property
    def kind(self) -> str:
        return type(self).__name__.lower()


@dataclass(frozen=True)
class Done(Outcome):
    written: tuple[str, ...] = ()
    results: tuple[WriteResult, ...] = ()


@dataclass(frozen=True)
class Conflict(Outcome):
    now: ServerState = field(default_factory=lambda: ServerState(checked=False))


@dataclass(frozen=True)
class NotAllowed(Outcome):
    """The server's statement does not allow what the change needs; nothing was sent."""


@dataclass(frozen=True)
class Unknown(Outcome):
    now: ServerState = field(default_factory=lambda: ServerState(checked=False))


@dataclass(frozen=True)
class Failed(Outcome):
    status: int | None = None
    now: ServerState = field(default_factory=lambda: ServerState(checked=False))


def _reread_target(create: Create) -> str | None:
    """What a re-read asks to find a create: its id, or its If-None-Exist search (None: nothing to ask)."""
    if create.at_id:
        return create.reference
    if create.if_none_exist:
        return f"{create.resource['resourceType']}?{create.if_none_exist}"
    return None


def _write(gw: FhirGateway, change: Change) -> tuple[list[str], list[WriteResult]]:
    if len(change) == 1:
        if change.updates:
            resource, version = change.updates[0]
            result = gw.client.update(resource, version=version)
        elif change.creates[0].at_id:
            result = gw.client.create_with_id(change.creates[0].resource)
        else:
            new = change.creates[0]
            result = gw.client.create(new.resource, if_none_exist=new.if_none_exist)
        return [result.reference], [result]
    tx = Transaction()
    for resource, version in change.updates:
        tx.update(resource, version)
    for new in change.creates:
        if new.at_id:
            tx.create_with_id(new.resource)
        else:
            tx.create(new.resource, if_none_exist=new.if_none_exist, full_url=new.full_url)
    entries = gw.client.transaction(tx)
    results = [WriteResult(e.resource, e.created) for e in entries if e.resource]
    return [e.reference or "" for e in entries], results


def send(gw: FhirGateway, change: Change, seen: Mapping[str, str] | None = None,
         capabilities: Capabilities | None = None) -> Outcome:
    """Check, send and, when it did not plainly succeed, re-read one change.

    With `seen`, every update goes with the version the person saw as its If-Match (NotSeen, raised
    before anything is sent, when the change would update something they were not shown).
    `capabilities` replaces the server's statement for the check (a workflow that declared a type the
    statement leaves out, see `Capabilities.with_resource`)."""
    if change.needs is None:
        raise Undeclared(f"'{change.name}' was sent without declaring what it needs")
    change.declare(change.needs)
    if seen is not None:
        change.if_match_seen(seen)
    refused = Needs(tuple(change.interactions())).refused(capabilities or gw.capabilities)
    if refused:
        return NotAllowed(f"{refused} Nothing was sent.")
    if not len(change):
        return Done("Nothing needed changing.")
    try:
        written, results = _write(gw, change)
    except FhirConflict as e:
        return Conflict(e.message, reread(gw, change))
    except FhirOutcomeUnknown as e:
        return Unknown(e.message, reread(gw, change))
    except FhirUnavailable as e:
        if not e.sent:  # no connection was made: nothing reached the server
            keys = [*change.updated(), *(_create_key(i) for i in range(len(change.creates)))]
            return Failed(e.message, None, ServerState(True, not_written=tuple(keys)))
        return Failed(e.message, e.status, reread(gw, change))
    except FhirError as e:
        return Failed(e.message, e.status, reread(gw, change))
    return Done("Saved.", tuple(written), tuple(results))


__all__ = [
    "TRANSACTION",
    "Change",
    "Conflict",
    "Create",
    "Done",
    "Failed",
    "Interaction",
    "Needs",
    "NotAllowed",
    "NotSeen",
    "Outcome",
    "Seen",
    "ServerState",
    "Undeclared",
    "Unknown",
    "edit",
    "named",
    "reread",
    "send",
]
