"""The notice a screen shows after something happened (or did not). Rendered by one macro,
`templates/_notice.html`, so every workflow says it the same way and in the same colours."""

from __future__ import annotations

from dataclasses import dataclass

#: ok: done; error: not done; conflict: changed at another station; warning: may have been done.
NOTICE_KINDS = ("ok", "error", "conflict", "warning", "info")


@dataclass(frozen=True)
class Notice:
    kind: str
    title: str
    text: str

    def __post_init__(self) -> None:
        if self.kind not in NOTICE_KINDS:
            raise ValueError(f"'{self.kind}' is not a kind of notice")

    @property
    def role(self) -> str:
        """ARIA: errors, conflicts and warnings interrupt (alert), the others are announced politely."""
        return "alert" if self.kind in ("error", "conflict", "warning") else "status"
