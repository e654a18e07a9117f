"""How the kiosk authenticates to the FHIR server: none, HTTP basic, a static bearer token, or
SMART Backend Services (client_credentials grant with a private_key_jwt client assertion).
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt

from kiosk.config import FhirAuthSettings

from .errors import FhirAuthError, FhirUnavailable

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: A cached token is renewed this many seconds before the server says it expires.
TOKEN_EXPIRY_MARGIN = 60


class Authenticator:
    """Adds credentials to requests. `invalidate()` is called once after a 401 before one retry."""

    def headers(self, http: httpx.Client) -> dict[str, str]:
        return {}

    def invalidate(self) -> None:
        """Forget cached credentials; only token-based schemes have any."""

    @property
    def can_refresh(self) -> bool:
        return False


class BasicAuthenticator(Authenticator):
    def __init__(self, username: str, password: str):
        raw = f"{username}:{password}".encode()
        self._header = "Basic " + base64.b64encode(raw).decode("ascii")

    def headers(self, http: httpx.Client) -> dict[str, str]:
        return {"Authorization": self._header}


class BearerAuthenticator(Authenticator):
    def __init__(self, token: str):
        self._header = f"Bearer {token}"

    def headers(self, http: httpx.Client) -> dict[str, str]:
        return {"Authorization": self._header}


@dataclass
class _Token:
    value: str
    renew_at: float


class SmartBackendAuthenticator(Authenticator):
    """SMART Backend Services: sign a short-lived JWT with our private key, trade it for an access token.

    The token endpoint comes from configuration or from [base]/.well-known/smart-configuration.
    The access token is cached until shortly before it expires and shared by all threads.
    """

    def __init__(
        self,
        base_url: str,
        client_id: str,
        private_key_pem: bytes,
        key_id: str,
        algorithm: str = "RS384",
        scope: str = "system/*.read system/*.write",
        token_url: str = "",
        clock: Callable[[], float] = time.time,
    ):
        if algorithm not in ("RS384", "ES384"):
            raise ValueError("SMART Backend Services requires RS384 or ES384")
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.key_id = key_id
        self.algorithm = algorithm
        self.scope = scope
        self._private_key = private_key_pem
        self._token_url = token_url
        self._clock = clock
        self._token: _Token | None = None
        self._lock = threading.Lock()
        self.tokens_fetched = 0

    @property
    def can_refresh(self) -> bool:
        return True

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def headers(self, http: httpx.Client) -> dict[str, str]:
        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._token.renew_at:
                self._token = self._fetch_token(http, now)
            return {"Authorization": f"Bearer {self._token.value}"}

    def token_url(self, http: httpx.Client) -> str:
        if not self._token_url:
            self._token_url = self._discover(http)
        return self._token_url

    def _discover(self, http: httpx.Client) -> str:
        url = f"{self.base_url}/.well-known/smart-configuration"
        try:
            response = http.get(url, headers={"Accept": "application/json"})
        except httpx.TransportError as e:
            raise FhirUnavailable(f"Could not reach the FHIR server to discover its token endpoint ({e}).") from None
        if response.status_code != 200:
            raise FhirAuthError(
                f"The FHIR server has no SMART configuration (HTTP {response.status_code} from "
                ".well-known/smart-configuration); set fhir.auth.token_url.",
                status=response.status_code,
            )
        try:
            endpoint = response.json()["token_endpoint"]
        except (ValueError, KeyError, TypeError):
            raise FhirAuthError("The server's SMART configuration names no token_endpoint.") from None
        return str(endpoint)

    def client_assertion(self, audience: str, now: float) -> str:
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "jti": uuid.uuid4().hex,
            "iat": int(now),
            "exp": int(now) + 240,
        }
        return jwt.encode(
            claims, self._private_key, algorithm=self.algorithm, headers={"kid": self.key_id, "typ": "JWT"}
        )

    def _fetch_token(self, http: httpx.Client, now: float) -> _Token:
        url = self.token_url(http)
        form = {
            "grant_type": "client_credentials",
            "scope": self.scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.client_assertion(url, now),
        }
        try:
            response = http.post(url, data=form, headers={"Accept": "application/json"})
        except httpx.TransportError as e:
            raise FhirUnavailable(f"Could not reach the token endpoint ({type(e).__name__}).") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code != 200 or "access_token" not in body:
            reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
            raise FhirAuthError(f"The token endpoint refused the kiosk's credentials: {reason}.",
                                status=response.status_code)
        self.tokens_fetched += 1
        lifetime = int(body.get("expires_in") or 300)
        margin = min(TOKEN_EXPIRY_MARGIN, lifetime // 2)
        return _Token(str(body["access_token"]), now + lifetime - margin)


def authenticator_from_settings(base_url: str, auth: FhirAuthSettings) -> Authenticator:
    if auth.type == "basic":
        return BasicAuthenticator(auth.username, auth.password)
    if auth.type == "bearer":
        return BearerAuthenticator(auth.token)
    if auth.type == "smart":
        return SmartBackendAuthenticator(
            base_url=base_url,
            client_id=auth.client_id,
            private_key_pem=Path(auth.private_key_path).read_bytes(),
            key_id=auth.key_id,
            algorithm=auth.algorithm,
            scope=auth.scope,
            token_url=auth.token_url,
        )
    return Authenticator()
