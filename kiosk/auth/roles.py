"""Staff roles. Roles decide what the kiosk offers and, checked on the server, what it allows."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    UNIT_SECRETARY = "unit_secretary"
    CHARGE_NURSE = "charge_nurse"
    PROVIDER = "provider"
    ADMINISTRATOR = "administrator"
    NURSE = "nurse"
    NURSING_ASSISTANT = "nursing_assistant"
    TRANSPORTER = "transporter"
    HOUSEKEEPER = "housekeeper"

    @property
    def label(self) -> str:
        return {
            Role.UNIT_SECRETARY: "unit secretary",
            Role.CHARGE_NURSE: "charge nurse",
            Role.PROVIDER: "provider",
            Role.ADMINISTRATOR: "administrator",
            Role.NURSE: "nurse",
            Role.NURSING_ASSISTANT: "nursing assistant",
            Role.TRANSPORTER: "transporter",
            Role.HOUSEKEEPER: "housekeeper",
        }[self]

    @property
    def article(self) -> str:
        return "an" if self.label[0] in "aeio" else "a"  # "a unit secretary": 'unit' sounds like 'you'


def roles_phrase(roles: tuple[Role, ...]) -> str:
    """'a provider', 'a charge nurse or an administrator'."""
    words = [f"{r.article} {r.label}" for r in roles]
    if len(words) <= 2:
        return " or ".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]
