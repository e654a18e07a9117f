"""SMART Backend Services against sekmet-fhir's token endpoint, with key pairs generated here."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from kiosk.config import FhirAuthSettings
from kiosk.fhir.auth import TOKEN_EXPIRY_MARGIN, SmartBackendAuthenticator, authenticator_from_settings
from kiosk.fhir.client import FhirClient
from kiosk.fhir.errors import FhirAuthError
from tests.support.clock import TestClock
from tests.support.sekmet import SekmetServer, start_sekmet


def _pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


#: Seconds the server's access tokens last; the kiosk renews one TOKEN_EXPIRY_MARGIN (60 s) before.
TOKEN_LIFETIME = 120
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP384R1())


def _jwk(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str, alg: str) -> dict[str, str]:
    algorithm = jwt.algorithms.RSAAlgorithm if alg.startswith("RS") else jwt.algorithms.ECAlgorithm
    data = json.loads(algorithm.to_jwk(key.public_key()))
    return {**data, "kid": kid, "alg": alg, "use": "sig"}


@pytest.fixture(scope="module")
def smart_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SekmetServer]:
    settings = {
        "server_auth": {
            "types": ["smart"],
            "token_lifetime": TOKEN_LIFETIME,
            "smart_clients": [
                {"client_id": "kiosk-rsa", "jwks": {"keys": [_jwk(RSA_KEY, "rsa-1", "RS384")]},
                 "scopes": "system/*.read system/*.write"},
                {"client_id": "kiosk-ec", "jwks": {"keys": [_jwk(EC_KEY, "ec-1", "ES384")]},
                 "scopes": "system/*.read system/*.write"},
            ],
        }
    }
    server = start_sekmet(tmp_path_factory.mktemp("sekmet-smart"), settings)
    yield server
    server.stop()


@pytest.mark.parametrize(("client_id", "key", "kid", "alg"),
                         [("kiosk-rsa", RSA_KEY, "rsa-1", "RS384"), ("kiosk-ec", EC_KEY, "ec-1", "ES384")])
def test_token_flow_with_a_generated_key_pair(smart_server: SekmetServer, client_id: str, key, kid: str,
                                              alg: str) -> None:  # type: ignore[no-untyped-def]
    auth = SmartBackendAuthenticator(smart_server.base_url, client_id, _pem(key), kid, alg)
    client = FhirClient(smart_server.base_url, authenticator=auth)
    created = client.create({"resourceType": "Patient", "name": [{"family": "Smart"}]})
    assert client.read("Patient", created.id)["id"] == created.id
    client.search("Patient", [("family", "Smart")])
    assert auth.tokens_fetched == 1  # cached: one token for several requests
    assert auth.token_url(client.http).endswith("/auth/token")  # discovered from smart-configuration
    assertion = jwt.get_unverified_header(auth.client_assertion("https://t", time.time()))
    assert assertion == {"alg": alg, "kid": kid, "typ": "JWT"}
    client.close()


def test_a_token_is_renewed_shortly_before_it_expires_by_the_kiosks_clock(smart_server: SekmetServer) -> None:
    # The server checks each signed assertion against its own (real) clock: not issued in the future, not
    # expired. So the kiosk's clock starts behind the real time by the token's usable life, and the
    # renewal it leads to falls at the real time or before it.
    usable = TOKEN_LIFETIME - TOKEN_EXPIRY_MARGIN
    clock = TestClock(datetime.now(UTC) - timedelta(seconds=usable))
    auth = SmartBackendAuthenticator(smart_server.base_url, "kiosk-rsa", _pem(RSA_KEY), "rsa-1", "RS384",
                                     clock=clock.timestamp)
    client = FhirClient(smart_server.base_url, authenticator=auth)
    client.search("Patient", [("_count", "1")])
    clock.advance(usable - 1)
    client.search("Patient", [("_count", "1")])
    assert auth.tokens_fetched == 1
    clock.advance(1)  # a minute before the token runs out by the kiosk's clock: a new one
    client.search("Patient", [("_count", "1")])
    assert auth.tokens_fetched == 2
    client.close()


def test_a_token_the_server_refuses_is_replaced_once_on_401(smart_server: SekmetServer) -> None:
    clock = TestClock()
    auth = SmartBackendAuthenticator(smart_server.base_url, "kiosk-rsa", _pem(RSA_KEY), "rsa-1", "RS384",
                                     clock=clock.timestamp)
    client = FhirClient(smart_server.base_url, authenticator=auth)
    client.search("Patient", [("_count", "1")])
    smart_server.restart()  # a new signing key: the token the kiosk holds is refused, though its clock says valid
    assert client.search("Patient", [("_count", "1")]).pages == 1
    assert auth.tokens_fetched == 2
    client.close()


def test_wrong_key_is_a_readable_auth_error(smart_server: SekmetServer) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    auth = SmartBackendAuthenticator(smart_server.base_url, "kiosk-rsa", _pem(other), "rsa-1", "RS384")
    client = FhirClient(smart_server.base_url, authenticator=auth)
    with pytest.raises(FhirAuthError, match="refused the kiosk's credentials"):
        client.read("Patient", "x")
    client.close()


def test_no_credentials_is_refused(smart_server: SekmetServer) -> None:
    client = FhirClient(smart_server.base_url)
    with pytest.raises(FhirAuthError, match="HTTP 401"):
        client.search("Patient", [])
    client.close()


def test_settings_build_the_smart_authenticator(smart_server: SekmetServer, tmp_path: Path) -> None:
    key_path = tmp_path / "kiosk.pem"
    key_path.write_bytes(_pem(EC_KEY))
    settings = FhirAuthSettings(type="smart", client_id="kiosk-ec", private_key_path=str(key_path),
                                key_id="ec-1", algorithm="ES384")
    auth = authenticator_from_settings(smart_server.base_url, settings)
    client = FhirClient(smart_server.base_url, authenticator=auth)
    assert client.search("Location", [("_count", "1")]).pages == 1
    client.close()
