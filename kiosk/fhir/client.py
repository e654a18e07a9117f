"""The FHIR HTTP client: the only code in the kiosk that sends requests to the FHIR server.

- one pooled httpx client per process, explicit connect/read timeouts;
- idempotent reads retried on connection errors and HTTP 503, with backoff; writes never retried here
  (a retried create must be conditional, which is the caller's choice of `if_none_exist`);
- every update carries If-Match; HTTP 412 becomes FhirConflict with the server's current version;
- searches follow `next` links, resolve `_include`d resources, and ask the server to refuse unknown
  parameters (Prefer: handling=strict) instead of silently ignoring them;
- every request is counted, per Flask request (or any `count_requests()` block) and in total.
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from kiosk import jsontext

from .auth import Authenticator
from .errors import (
    FhirAuthError,
    FhirConflict,
    FhirError,
    FhirNotFound,
    FhirOutcomeUnknown,
    FhirUnavailable,
    outcome_text,
)
from .refs import reference_key, version_of
from .validation import check_for_write

log = logging.getLogger("kiosk.fhir")

FHIR_JSON = "application/fhir+json"
#: Above this many characters of query string a search is sent as POST [type]/_search.
MAX_GET_QUERY = 3500

SearchParams = Sequence[tuple[str, str]] | Mapping[str, str]


@dataclass
class RequestCounter:
    """How many FHIR requests were made, and of which kind, inside one block (one page render)."""

    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str) -> None:
        self.total += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


_counter: contextvars.ContextVar[RequestCounter | None] = contextvars.ContextVar("fhir_counter", default=None)


def start_counting() -> tuple[RequestCounter, contextvars.Token[RequestCounter | None]]:
    """Count the FHIR requests made from here on in this context (one web request), until
    `stop_counting` with the token."""
    counter = RequestCounter()
    return counter, _counter.set(counter)


def stop_counting(token: contextvars.Token[RequestCounter | None]) -> None:
    _counter.reset(token)


@contextmanager
def count_requests() -> Iterator[RequestCounter]:
    """Count the FHIR requests made inside the block (used per web request, by tests and benchmarks)."""
    counter = RequestCounter()
    token = _counter.set(counter)
    try:
        yield counter
    finally:
        _counter.reset(token)


def resource_json(resource: Any) -> dict[str, Any]:
    """A resource as plain JSON, from an R4B model or a dict."""
    if isinstance(resource, dict):
        return resource
    return json.loads(resource.model_dump_json())


def is_version_conflict(outcome: Any) -> bool:
    """412/409 also answer a conditional create or reference that matched several resources; only a
    version mismatch is a conflict with another station."""
    issues = outcome.get("issue", []) if isinstance(outcome, dict) else []
    return not any(i.get("code") in ("multiple-matches", "duplicate", "not-found") for i in issues)


def token(system: str, value: str) -> str:
    """A token search value '<system>|<value>' with the FHIR search escapes (R4 search.html#escaping):
    '\\', '$', '|' and ',' in either part are preceded by '\\', so what a person typed can never become
    an OR-list (',') or a system separator ('|'). The one place search values are escaped."""

    def escape(text: str) -> str:
        return "".join("\\" + c if c in "\\$|," else c for c in text)

    return f"{escape(system)}|{escape(value)}"


def identifier_query(system: str, value: str) -> str:
    """The search query 'identifier=<system>|<value>' for If-None-Exist and conditional references."""
    return urlencode([("identifier", token(system, value))])


#: The element R4 forbids a reader to ignore, as an answer's bytes spell it.
MODIFIER_KEY = b"modifierExtension"
#: A JSON escape of an ASCII character (\\u0000 to \\u007F, hex in either case): the only escapes that can
#: spell one of the key's letters (the others are of punctuation and white space, or of non-ASCII
#: characters: a name's accents).
ASCII_ESCAPE = re.compile(rb"\\u00[0-7][0-9A-Fa-f]")


def may_carry_modifier(content: bytes) -> bool:
    """Could a JSON answer with this body hold a modifierExtension anywhere? Only if its text spells the
    key: plainly, or with an escape of one of its letters (`ASCII_ESCAPE`; an escaped backslash before
    "u00.." also counts, which only errs on the side of looking). Sound on UTF-8 bytes (an ASCII byte
    there is always that character); a body in another encoding JSON allows (UTF-16, UTF-32) may."""
    if json.detect_encoding(content) not in ("utf-8", "utf-8-sig"):
        return True
    return MODIFIER_KEY in content or ASCII_ESCAPE.search(content) is not None


@dataclass
class SearchResult:
    """Matches and _included resources of a search, as JSON, in server order, each once."""

    matches: list[dict[str, Any]]
    included: dict[str, dict[str, Any]]
    total: int | None
    pages: int
    #: Every page's text was looked at and cannot spell a modifierExtension (`may_carry_modifier`): its
    #: resources need not be walked for one (R4: a record carrying one is shown for checking only).
    modifier_free: bool = False

    @property
    def incomplete(self) -> bool:
        """The server said it has more matches than it sent, and gave no `next` link to the rest."""
        return self.total is not None and self.total > len(self.matches)

    def missing(self, references: Any) -> list[str]:
        """Of these references, those the search did not bring (a server that ignores `_include`)."""
        return sorted({r for r in references if r and self.resolve(r) is None})

    def resolve(self, reference: str | None) -> dict[str, Any] | None:
        """The included (or matched) resource a reference points to, if the search brought it."""
        if not reference:
            return None
        key = reference_key(reference)
        found = self.included.get(key)
        if found is None:
            for m in self.matches:
                if f"{m.get('resourceType')}/{m.get('id')}" == key:
                    return m
        return found

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        """Included resources of one type."""
        return [r for r in self.included.values() if r.get("resourceType") == resource_type]


@dataclass
class WriteResult:
    resource: dict[str, Any]
    created: bool

    @property
    def id(self) -> str:
        return str(self.resource.get("id"))

    @property
    def version(self) -> str | None:
        return version_of(self.resource)

    @property
    def reference(self) -> str:
        return f"{self.resource.get('resourceType')}/{self.id}"


@dataclass
class TransactionEntryResult:
    status: str
    location: str | None
    etag: str | None
    resource: dict[str, Any] | None

    @property
    def reference(self) -> str | None:
        if self.resource and self.resource.get("id"):
            return f"{self.resource['resourceType']}/{self.resource['id']}"
        if self.location:
            return reference_key(self.location)
        return None

    @property
    def created(self) -> bool:
        return self.status.startswith("201")


def new_full_url() -> str:
    """A fresh urn:uuid: the fullUrl of a resource created in a transaction, by which the other entries
    of the same transaction reference it (the server replaces it with the new resource's id)."""
    return f"urn:uuid:{uuid.uuid4()}"


class Transaction:
    """A transaction Bundle under construction: creates with urn:uuid fullUrls, updates with ifMatch."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return len(self.entries)

    def create(self, resource: Any, if_none_exist: str | None = None, full_url: str | None = None) -> str:
        """Add a create; returns the urn:uuid other entries use to reference the new resource (`full_url`
        when the caller chose it beforehand, see `new_full_url`)."""
        body = resource_json(resource)
        check_for_write(body)
        full_url = full_url or new_full_url()
        request: dict[str, Any] = {"method": "POST", "url": body["resourceType"]}
        if if_none_exist:
            request["ifNoneExist"] = if_none_exist
        self.entries.append({"fullUrl": full_url, "resource": body, "request": request})
        return full_url

    def update(self, resource: Any, version: str | None) -> None:
        """Add an update; `version` is the versionId read, sent as ifMatch (never omitted)."""
        body = resource_json(resource)
        check_for_write(body)
        if not body.get("id"):
            raise ValueError("an update needs the resource id")
        if not version:
            raise ValueError("an update needs the version that was read (If-Match)")
        self.entries.append(
            {
                "fullUrl": f"{body['resourceType']}/{body['id']}",
                "resource": body,
                "request": {"method": "PUT", "url": f"{body['resourceType']}/{body['id']}",
                            "ifMatch": f'W/"{version}"'},
            }
        )

    def create_with_id(self, resource: Any) -> None:
        """Add an update-as-create (PUT to an id the kiosk chose, no If-Match) for servers that declare
        updateCreate. The caller must have checked that the id is free: a PUT to an existing id replaces it."""
        body = resource_json(resource)
        check_for_write(body)
        if not body.get("id"):
            raise ValueError("an update-as-create needs the id the kiosk chose")
        self.entries.append({"fullUrl": f"{body['resourceType']}/{body['id']}", "resource": body,
                             "request": {"method": "PUT", "url": f"{body['resourceType']}/{body['id']}"}})

    def bundle(self) -> dict[str, Any]:
        return {"resourceType": "Bundle", "type": "transaction", "entry": self.entries}

    def chunks(self, size: int) -> list[Transaction]:
        """The same writes as transactions of at most `size` entries, in order, for a server that limits
        transaction size. A reference to a resource created in an earlier chunk becomes a conditional
        reference on that create's If-None-Exist query ('Location?identifier=...'), so each chunk stands
        on what the earlier ones wrote; a create referenced across chunks must therefore be conditional
        (ValueError otherwise)."""
        if size < 1:
            raise ValueError("a chunk holds at least one entry")
        conditional: dict[str, str] = {}
        out: list[Transaction] = []
        for start in range(0, len(self.entries), size):
            chunk = Transaction()
            here = {e["fullUrl"] for e in self.entries[start:start + size]}
            for entry in self.entries[start:start + size]:
                chunk.entries.append(_rewrite_references(copy.deepcopy(entry), conditional, here))
            for entry in self.entries[start:start + size]:
                url = entry["fullUrl"]
                query = entry["request"].get("ifNoneExist")
                if url.startswith("urn:uuid:") and query:
                    conditional[url] = f"{entry['resource']['resourceType']}?{query}"
            out.append(chunk)
        return out


def _rewrite_references(value: Any, conditional: dict[str, str], here: set[str]) -> Any:
    """References to urn:uuid entries of earlier chunks, made conditional (in place; returns the value)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str) and item.startswith("urn:uuid:") and item not in here:
                if item not in conditional:
                    raise ValueError("a create referenced from a later chunk is not conditional: it cannot be split")
                value[key] = conditional[item]
            else:
                _rewrite_references(item, conditional, here)
    elif isinstance(value, list):
        for item in value:
            _rewrite_references(item, conditional, here)
    return value


class FhirClient:
    """Thread-safe; share one per process (it pools connections)."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        read_retries: int = 2,
        page_size: int = 200,
        authenticator: Authenticator | None = None,
        backoff: float = 0.25,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.read_retries = read_retries
        self.page_size = page_size
        self.backoff = backoff
        self.auth = authenticator or Authenticator()
        self.total_requests = 0
        timeout = httpx.Timeout(read_timeout, connect=connect_timeout, write=read_timeout, pool=connect_timeout)
        self.timeout = timeout
        self.http = httpx.Client(
            timeout=timeout,
            limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
            headers={"Accept": FHIR_JSON, "User-Agent": "unit-coordinator-kiosk/0.1"},
            transport=transport,
            follow_redirects=False,
        )
        self._host = urlsplit(self.base_url).netloc
        #: Called with the resources of each write the kiosk sends (whatever its outcome: a write that may
        #: have reached the server counts), so that the censuses they touch are read again
        #: (kiosk.census).
        self.write_listeners: list[Callable[[list[dict[str, Any]]], None]] = []

    def close(self) -> None:
        self.http.close()

    @property
    def host(self) -> str:
        """host:port of the server (never a path: no patient data)."""
        return self._host

    # ------------------------------------------------------------------ transport

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}" if path else self.base_url

    def _send(
        self,
        method: str,
        url: str,
        *,
        kind: str,
        idempotent: bool,
        headers: dict[str, str] | None = None,
        body: Any = None,
        form: str | None = None,
    ) -> httpx.Response:
        attempts = 1 + (self.read_retries if idempotent else 0)
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            req_headers = {**(headers or {}), **self.auth.headers(self.http)}
            content: bytes | None = None
            if body is not None:
                content = json.dumps(body, ensure_ascii=False).encode("utf-8")
                req_headers["Content-Type"] = f"{FHIR_JSON}; charset=utf-8"
            elif form is not None:
                content = form.encode("ascii")
                req_headers["Content-Type"] = "application/x-www-form-urlencoded"
            self._count(kind)
            started = time.perf_counter()
            try:
                response = self.http.request(method, url, headers=req_headers, content=content)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
                # Never sent: safe to retry a read, and a write changed nothing.
                if attempt < attempts:
                    self._pause(attempt)
                    continue
                if isinstance(e, httpx.ConnectError):
                    reason = f"cannot be reached ({type(e).__name__})"
                else:
                    reason = f"did not accept a connection within {self.timeout.connect:g} s"
                raise FhirUnavailable(
                    f"The FHIR server at {self._host} {reason}; nothing was changed. "
                    "Check that it is running and the network is up.", sent=False,
                ) from None
            except httpx.TransportError as e:
                # Sent, but no (complete) answer: a read is simply not known; a write may have been saved.
                if not idempotent:
                    raise FhirOutcomeUnknown(
                        f"The FHIR server did not confirm this change ({self._lost_text(e)}); it may or may not "
                        "have been saved. Look at the current state before trying again."
                    ) from None
                if attempt < attempts and not isinstance(e, httpx.ReadTimeout):
                    self._pause(attempt)
                    continue
                raise FhirUnavailable(
                    f"The FHIR server did not answer ({self._lost_text(e)}). Try again in a moment."
                ) from None
            log.debug("FHIR %s %s -> %s in %.1f ms", method, kind, response.status_code,
                      (time.perf_counter() - started) * 1000)
            if response.status_code == 401 and self.auth.can_refresh and not refreshed:
                self.auth.invalidate()
                refreshed = True
                continue
            if response.status_code == 503 and attempt < attempts:
                self._pause(attempt)
                continue
            return response

    def _lost_text(self, e: httpx.TransportError) -> str:
        if isinstance(e, httpx.TimeoutException):
            return f"no answer within {self.timeout.read:g} s"
        return f"the connection was lost: {type(e).__name__}"

    def _pause(self, attempt: int) -> None:
        time.sleep(self.backoff * (2 ** (attempt - 1)))

    def _count(self, kind: str) -> None:
        self.total_requests += 1
        counter = _counter.get()
        if counter is not None:
            counter.add(kind)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return jsontext.loads(response.content)
        except ValueError:
            return None

    def _raise_for(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        body = self._json(response)
        detail = outcome_text(body)
        suffix = f": {detail}" if detail else "."
        issues = (body or {}).get("issue", []) if isinstance(body, dict) else []
        if status in (401, 403):
            raise FhirAuthError(f"The FHIR server refused the kiosk's credentials for {what} "
                                f"(HTTP {status}){suffix}", status=status, issues=issues)
        if status in (404, 410):
            raise FhirNotFound(f"{what} was not found on the FHIR server (HTTP {status}){suffix}",
                               status=status, issues=issues)
        if status in (409, 412) and is_version_conflict(body):
            raise FhirConflict(f"{what} was changed at another station since it was read; nothing was "
                               f"written{suffix}", issues=issues)
        if status >= 500:
            raise FhirUnavailable(f"The FHIR server failed while handling {what} (HTTP {status}){suffix}",
                                  status=status, issues=issues)
        raise FhirError(f"The FHIR server refused {what} (HTTP {status}){suffix}", status=status, issues=issues)

    @contextmanager
    def _writing(self, resources: list[dict[str, Any]]) -> Iterator[None]:
        """Around a write: the listeners hear of it once it was sent, whether it then succeeded or not."""
        try:
            yield
        finally:
            for listener in self.write_listeners:
                try:
                    listener(resources)
                except Exception:  # a listener never changes what the write answers
                    log.exception("A write listener failed")

    # ------------------------------------------------------------------ reads

    def system_history(self, since: str | None, count: int) -> dict[str, Any]:
        """GET [base]/_history: the newest `count` changes on the server (since `since`), as the Bundle."""
        params = [*([("_since", since)] if since else []), ("_count", str(count))]
        response = self._send("GET", self._url(f"_history?{urlencode(params)}"), kind="history", idempotent=True)
        self._raise_for(response, "the server's history")
        body = self._json(response)
        if not isinstance(body, dict):
            raise FhirError("The FHIR server's history is not a Bundle.")
        return body

    def metadata(self) -> dict[str, Any]:
        response = self._send("GET", self._url("metadata"), kind="metadata", idempotent=True)
        self._raise_for(response, "the CapabilityStatement")
        body = self._json(response)
        if not isinstance(body, dict) or body.get("resourceType") != "CapabilityStatement":
            raise FhirError("The FHIR server's /metadata is not a CapabilityStatement.")
        return body

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        """The current version of a resource, as JSON (meta.versionId is its version)."""
        response = self._send("GET", self._url(f"{resource_type}/{resource_id}"), kind=f"read {resource_type}",
                              idempotent=True)
        self._raise_for(response, f"{resource_type}/{resource_id}")
        body = self._json(response)
        self._fill_version(body, response)
        return body

    def vread(self, resource_type: str, resource_id: str, version: str) -> dict[str, Any]:
        response = self._send("GET", self._url(f"{resource_type}/{resource_id}/_history/{version}"),
                              kind=f"vread {resource_type}", idempotent=True)
        self._raise_for(response, f"{resource_type}/{resource_id} version {version}")
        body = self._json(response)
        self._fill_version(body, response)
        return body

    @staticmethod
    def _fill_version(body: Any, response: httpx.Response) -> None:
        """Servers that send the version only in the ETag still give the caller meta.versionId."""
        if not isinstance(body, dict):
            return
        etag = response.headers.get("ETag", "")
        if etag and not version_of(body):
            body.setdefault("meta", {})["versionId"] = etag.removeprefix("W/").strip('"')

    def search(self, resource_type: str, params: SearchParams, *, max_pages: int = 100,
               post: bool = False, first_page_only: bool = False) -> SearchResult:
        """All matches of a search (following `next` links) plus the resources it _included.

        `post=True` sends the parameters in the body of POST [type]/_search, never in a URL: for
        searches by MRN or other identifiers, which would otherwise reach the server's access logs.
        `first_page_only` reads one page (probing whether a search is answered at all).
        """
        items = list(params.items()) if isinstance(params, Mapping) else list(params)
        if not any(k == "_count" for k, _ in items):
            items.append(("_count", str(self.page_size)))
        query = urlencode(items)
        headers = {"Prefer": "handling=strict"}
        kind = f"search {resource_type}"
        if post or len(query) > MAX_GET_QUERY:
            response = self._send("POST", self._url(f"{resource_type}/_search"), kind=kind, idempotent=True,
                                  headers=headers, form=query)
        else:
            response = self._send("GET", self._url(f"{resource_type}?{query}"), kind=kind, idempotent=True,
                                  headers=headers)
        matches: list[dict[str, Any]] = []
        included: dict[str, dict[str, Any]] = {}
        seen: set[str] = set()
        total: int | None = None
        pages = 0
        modifier_free = True
        while True:
            self._raise_for(response, f"the {resource_type} search")
            bundle = self._json(response)
            modifier_free = modifier_free and not may_carry_modifier(response.content)
            if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
                raise FhirError(f"The {resource_type} search did not return a Bundle.")
            pages += 1
            if total is None and isinstance(bundle.get("total"), int):
                total = bundle["total"]
            for entry in bundle.get("entry") or []:
                resource = entry.get("resource")
                if not isinstance(resource, dict):
                    continue
                mode = (entry.get("search") or {}).get("mode", "match")
                if mode == "outcome" or resource.get("resourceType") == "OperationOutcome":
                    self._check_outcome(resource, resource_type)
                    continue
                key = f"{resource.get('resourceType')}/{resource.get('id')}"
                if mode == "include":
                    included.setdefault(key, resource)
                elif key not in seen:
                    seen.add(key)
                    matches.append(resource)
            next_url = next((link.get("url") for link in bundle.get("link") or []
                             if link.get("relation") == "next"), None)
            if not next_url or first_page_only:
                break
            if pages >= max_pages:
                raise FhirError(f"The {resource_type} search has more than {max_pages} pages; the kiosk stopped "
                                "rather than show part of it.")
            if urlsplit(next_url).netloc not in ("", self._host):
                raise FhirError("The FHIR server's next page link points to another server; the kiosk "
                                "did not follow it.")
            response = self._send("GET", next_url if "://" in next_url else self._url(next_url), kind=kind,
                                  idempotent=True, headers=headers)
        return SearchResult(matches=matches, included=included, total=total, pages=pages,
                            modifier_free=modifier_free)

    @staticmethod
    def _check_outcome(outcome: dict[str, Any], resource_type: str) -> None:
        """A search outcome saying a parameter was ignored means the results are wrong: refuse them."""
        for issue in outcome.get("issue") or []:
            if issue.get("severity") in ("error", "fatal") or issue.get("code") == "not-supported":
                raise FhirError(f"The FHIR server could not run the {resource_type} search as asked: "
                                f"{outcome_text(outcome)}")

    # ------------------------------------------------------------------ writes

    def create(self, resource: Any, *, if_none_exist: str | None = None) -> WriteResult:
        """Create a resource. With `if_none_exist` (a search query) a retry finds the first one instead."""
        body = resource_json(resource)
        check_for_write(body)
        rtype = body["resourceType"]
        headers = {"Prefer": "return=representation"}
        if if_none_exist:
            headers["If-None-Exist"] = if_none_exist
        with self._writing([body]):
            response = self._send("POST", self._url(rtype), kind=f"create {rtype}", idempotent=False,
                                  headers=headers, body=body)
        self._raise_for(response, f"the new {rtype}")
        created = response.status_code == 201
        result = self._json(response)
        if not isinstance(result, dict) or result.get("resourceType") != rtype:
            location = response.headers.get("Location") or response.headers.get("Content-Location")
            if not location:
                raise FhirError(f"The FHIR server created {rtype} but did not say where.")
            result = self._read_back(rtype, reference_key(location).split("/")[1])
        self._fill_version(result, response)
        return WriteResult(result, created)

    def update(self, resource: Any, *, version: str | None) -> WriteResult:
        """Update with If-Match on `version` (the versionId that was read). 412 -> FhirConflict."""
        body = resource_json(resource)
        check_for_write(body)
        rtype, rid = body["resourceType"], body.get("id")
        if not rid:
            raise ValueError("an update needs the resource id")
        if not version:
            raise ValueError("an update needs the version that was read (If-Match)")
        with self._writing([body]):
            response = self._send("PUT", self._url(f"{rtype}/{rid}"), kind=f"update {rtype}", idempotent=False,
                                  headers={"If-Match": f'W/"{version}"', "Prefer": "return=representation"},
                                  body=body)
        if response.status_code in (409, 412) and is_version_conflict(self._json(response)):
            raise self._conflict(rtype, rid, response)
        return self._put_result(rtype, rid, response)

    def create_with_id(self, resource: Any) -> WriteResult:
        """Update-as-create: PUT to an id the kiosk chose, without If-Match (nothing was read). Only for
        servers that declare updateCreate, after checking the id is free; `created` is False when the
        server says the id was already taken (it then replaced that resource)."""
        body = resource_json(resource)
        check_for_write(body)
        rtype, rid = body["resourceType"], body.get("id")
        if not rid:
            raise ValueError("an update-as-create needs the id the kiosk chose")
        with self._writing([body]):
            response = self._send("PUT", self._url(f"{rtype}/{rid}"), kind=f"update {rtype}", idempotent=False,
                                  headers={"Prefer": "return=representation"}, body=body)
        return self._put_result(rtype, rid, response)

    def _put_result(self, rtype: str, rid: str, response: httpx.Response) -> WriteResult:
        """The resource a PUT wrote (read back if the server sent none); `created` on 201."""
        self._raise_for(response, f"{rtype}/{rid}")
        result = self._json(response)
        if not isinstance(result, dict) or result.get("resourceType") != rtype:
            result = self._read_back(rtype, rid)
        self._fill_version(result, response)
        return WriteResult(result, response.status_code == 201)

    def _read_back(self, rtype: str, rid: str) -> dict[str, Any]:
        """The resource a write just saved, for a server that answered without it. The write is done
        whatever happens here: a failed read is an unknown outcome, never 'nothing was changed'."""
        try:
            return self.read(rtype, rid)
        except FhirError as e:
            raise FhirOutcomeUnknown(f"The FHIR server saved {rtype}/{rid} but it could not be read back "
                                     f"({e.message})") from None

    def _conflict(self, rtype: str, rid: str, response: httpx.Response) -> FhirConflict:
        detail = outcome_text(self._json(response))
        try:
            current = self.read(rtype, rid)
        except FhirError:
            current = None
        return FhirConflict(
            f"{rtype}/{rid} was changed at another station since it was read; nothing was written"
            + (f" ({detail})" if detail else "") + ".",
            resource_type=rtype, resource_id=rid, current=current,
        )

    def batch_read(self, targets: Sequence[str], *, batch: bool = True
                   ) -> list[dict[str, Any] | list[dict[str, Any]] | None]:
        """Read several things in one request: 'Type/id' answers the resource (None when it is gone),
        'Type?query' answers the list of matches. One `batch` Bundle of GETs; with `batch=False` (a
        server whose statement does not offer batch) one request per target instead."""
        if not targets:
            return []
        if not batch:
            return [self._read_one(t) for t in targets]
        bundle = {"resourceType": "Bundle", "type": "batch",
                  "entry": [{"request": {"method": "GET", "url": t}} for t in targets]}
        response = self._send("POST", self.base_url, kind="batch", idempotent=True, body=bundle)
        self._raise_for(response, "the batch read")
        body = self._json(response)
        if not isinstance(body, dict) or body.get("type") != "batch-response" or \
                len(body.get("entry") or []) != len(targets):
            raise FhirError("The FHIR server did not answer the batch read with one entry per request.")
        out: list[dict[str, Any] | list[dict[str, Any]] | None] = []
        for target, entry in zip(targets, body["entry"], strict=True):
            status = str((entry.get("response") or {}).get("status", ""))
            resource = entry.get("resource")
            if "?" in target:
                if not status.startswith("2") or not isinstance(resource, dict):
                    raise FhirError(f"The FHIR server could not search {target.split('?', 1)[0]} in a batch.")
                out.append([e["resource"] for e in resource.get("entry") or []
                            if isinstance(e.get("resource"), dict) and (e.get("search") or {}).get("mode", "match")
                            == "match" and e["resource"].get("resourceType") != "OperationOutcome"])
            elif status.startswith(("404", "410")):
                out.append(None)
            elif status.startswith("2") and isinstance(resource, dict):
                out.append(resource)
            else:
                raise FhirError(f"The FHIR server could not read {target} in a batch (HTTP {status[:3]}).")
        return out

    def _read_one(self, target: str) -> dict[str, Any] | list[dict[str, Any]] | None:
        if "?" in target:
            rtype, query = target.split("?", 1)
            return self.search(rtype, parse_qsl(query)).matches
        rtype, rid = target.split("/", 1)
        try:
            return self.read(rtype, rid)
        except FhirNotFound:
            return None

    def transaction(self, tx: Transaction) -> list[TransactionEntryResult]:
        """Send a transaction Bundle: all of it happens or none of it (412 on any entry -> FhirConflict)."""
        if not tx.entries:
            return []
        bundle_out = tx.bundle()
        with self._writing([e["resource"] for e in bundle_out.get("entry") or []
                            if isinstance(e.get("resource"), dict)]):
            response = self._send("POST", self.base_url, kind="transaction", idempotent=False,
                                  headers={"Prefer": "return=representation"}, body=bundle_out)
        if response.status_code in (409, 412) and is_version_conflict(self._json(response)):
            detail = outcome_text(self._json(response))
            raise FhirConflict(
                "Something in this change was changed at another station since it was read; nothing was "
                "written" + (f" ({detail})" if detail else "") + "."
            )
        self._raise_for(response, "the transaction")
        bundle = self._json(response)
        if not isinstance(bundle, dict) or bundle.get("type") != "transaction-response":
            raise FhirError("The FHIR server did not answer the transaction with a transaction-response.")
        results = []
        for entry in bundle.get("entry") or []:
            resp = entry.get("response") or {}
            results.append(TransactionEntryResult(
                status=str(resp.get("status", "")), location=resp.get("location"), etag=resp.get("etag"),
                resource=entry.get("resource"),
            ))
        if len(results) != len(tx.entries):
            raise FhirError("The transaction-response does not have one entry per request.")
        return results
