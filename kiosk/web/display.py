"""Screens that nobody signs in to (the corridor screen, the unit whiteboard): set up once by opening
`<setup path>/<token>`, where the token is a secret from the environment. The set-up visit moves the
secret from the address into a signed HttpOnly cookie and redirects to the screen's own address, so
the token is in no later request, access-log line or browser history. A wrong or unset token is a
404, like a page that does not exist; changing the token in settings retires every cookie.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import abort, current_app, redirect, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from kiosk.extensions import settings
from kiosk.http import secure_cookies


@dataclass(frozen=True)
class DisplayAccess:
    """One kind of screen: its cookie's name and the salt its cookie is signed with."""

    cookie: str
    salt: str

    def _signer(self) -> URLSafeSerializer:
        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=self.salt)

    def set_up(self, token: str, expected: str, home: str) -> Response:
        """The set-up visit: 404 for a wrong or unset token, else the cookie and a redirect to `home`
        (the cookie is sent for `home` and the addresses under it)."""
        if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
            abort(404)
        response = redirect(home)
        response.set_cookie(self.cookie, self._signer().dumps(hashlib.sha256(token.encode()).hexdigest()),
                            max_age=365 * 24 * 3600, httponly=True, samesite="Strict",
                            secure=secure_cookies(settings().web), path=home)
        return response

    def allowed(self, expected: str) -> bool:
        """Does this browser hold the cookie of the current token? (It holds a signed digest of it.)"""
        raw = request.cookies.get(self.cookie)
        if not expected or not raw:
            return False
        try:
            digest = self._signer().loads(raw)
        except BadSignature:
            return False
        return hmac.compare_digest(str(digest), hashlib.sha256(expected.encode()).hexdigest())

    def require(self, expected: str) -> None:
        """404 unless this browser was set up as this screen."""
        if not self.allowed(expected):
            abort(404)
