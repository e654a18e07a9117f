"""Staff sign-in (badge + PIN), roles, automatic lock after inactivity; see docs/architecture.md."""

from __future__ import annotations

from flask import Flask

from .roles import Role
from .services import StaffMember
from .session import current_staff, current_staff_or_none, has_role, roles_required

__all__ = ["Role", "StaffMember", "current_staff", "current_staff_or_none", "has_role", "register", "roles_required"]


def register(app: Flask) -> None:
    from .session import enforce_sign_in
    from .views import bp

    app.register_blueprint(bp)
    app.before_request(enforce_sign_in)

    @app.context_processor
    def _auth_context() -> dict[str, object]:
        from kiosk.extensions import settings

        return {"staff": current_staff_or_none(), "has_role": has_role, "Role": Role,
                "idle_lock_seconds": settings().auth.idle_lock_seconds}
