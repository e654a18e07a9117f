"""The Zebra host status (`~HS`): the printer's own word on whether it has a label left to print, and why not.

Format, from Zebra's ZPL II Programming Guide, command ~HS "Host Status Return"
(https://docs.zebra.com/us/en/printers/software/zpl-pg/zpl-commands/~hs4.html; printed guide 45541L-004 Rev. A,
pp. 171-172): "When the host sends ~HS to the printer, the printer sends three data strings back. Each string
starts with an <STX> control code and is terminated by an <ETX><CR><LF> control code sequence."

    String 1  <STX>aaa,b,c,dddd,eee,f,g,h,iii,j,k,l<ETX><CR><LF>
        aaa communication settings, b paper out flag, c pause flag, dddd label length in dots,
        eee number of formats in receive buffer, f receive buffer full, g communications diagnostic mode,
        h partial format in progress, iii unused (000), j corrupt RAM (configuration data lost),
        k under temperature, l over temperature
    String 2  <STX>mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www<ETX><CR><LF>
        mmm function settings, n unused, o head up flag (head in up position, i.e. open), p ribbon out flag,
        q thermal transfer mode, r print mode (0 rewind, 1 peel-off, 2 tear-off, 3 cutter, 4 applicator ...),
        s print width mode, t label waiting (peel-off mode), uuuuuuuu labels remaining in batch,
        v format while printing (always 1), www graphic images stored in memory
    String 3  <STX>xxxx,y<ETX><CR><LF>
        xxxx password, y static RAM installed

Every flag is 1 when the condition holds. The same page says the printer sends no answer at all while it is
MEDIA OUT, RIBBON OUT, HEAD OPEN, REWINDER FULL or HEAD OVER-TEMPERATURE (newer firmware; older firmware answers
with the flags set): silence is therefore a reason to check the printer, never a sign that all is well.

`~HS` is a control (tilde) command: the printer answers it when its parser reaches it in the data stream, so an
answer to an `~HS` sent right after a job also proves that the printer has read every byte of the job.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What the kiosk sends to ask; tilde commands need no ^XA ... ^XZ around them.
HOST_STATUS_QUERY = b"~HS"

STX, ETX = b"\x02", b"\x03"


class HostStatusError(ValueError):
    """The bytes are not a ~HS answer the kiosk can read."""


@dataclass(frozen=True)
class HostStatus:
    paper_out: bool
    paused: bool
    label_length_dots: int
    formats_in_buffer: int
    buffer_full: bool
    diagnostic_mode: bool
    partial_format: bool
    corrupt_ram: bool
    under_temperature: bool
    over_temperature: bool
    head_up: bool
    ribbon_out: bool
    thermal_transfer: bool
    labels_remaining: int

    def problems(self) -> tuple[str, ...]:
        """What stops the printer from printing, in the printer's own terms, in plain words."""
        found = []
        if self.paper_out:
            found.append("Out of labels")
        if self.head_up:
            found.append("Print head open")
        # The ribbon sensor means nothing on direct thermal stock (no ribbon is loaded by design).
        if self.ribbon_out and self.thermal_transfer:
            found.append("Out of ribbon")
        if self.paused:
            found.append("Printer paused")
        if self.over_temperature:
            found.append("Print head too hot")
        if self.under_temperature:
            found.append("Print head too cold")
        if self.corrupt_ram:
            found.append("Printer lost its settings")
        if self.diagnostic_mode:
            found.append("Printer in diagnostic mode")
        return tuple(found)

    @property
    def problem(self) -> str:
        """The problems joined into one phrase ("" when there is none)."""
        return ", ".join(self.problems())

    @property
    def idle(self) -> bool:
        """Nothing left to print: no format waiting, no label left of a batch, no format half received."""
        return self.formats_in_buffer == 0 and self.labels_remaining == 0 and not self.partial_format

    def describe(self) -> str:
        """For IT: the figures the kiosk went by."""
        def count(n: int, what: str) -> str:
            return f"{n} {what}" if n == 1 else f"{n} {what}s"

        parts = [self.problem or "ready", count(self.formats_in_buffer, "format") + " in buffer",
                 count(self.labels_remaining, "label") + " left in batch"]
        if self.partial_format:
            parts.append("partial format in progress")
        if self.buffer_full:
            parts.append("receive buffer full")
        return "; ".join(parts)


def _fields(frame: bytes, name: str, needed: int) -> list[str]:
    try:
        text = frame.decode("ascii")
    except UnicodeDecodeError:
        raise HostStatusError(f"~HS {name} is not ASCII") from None
    fields = [f.strip() for f in text.split(",")]
    if len(fields) < needed:
        raise HostStatusError(f"~HS {name} has {len(fields)} fields, expected {needed}")
    return fields


def _number(value: str, what: str) -> int:
    if not value.isdigit():
        raise HostStatusError(f"~HS {what} is not a number: {value[:12]!r}")
    return int(value)


def _flag(value: str, what: str) -> bool:
    if value not in ("0", "1"):
        raise HostStatusError(f"~HS {what} is not 0 or 1: {value[:12]!r}")
    return value == "1"


def frames(data: bytes) -> list[bytes]:
    """The complete <STX>...<ETX> strings in `data`, in order (bytes outside them are line ends)."""
    found = []
    rest = data
    while True:
        start = rest.find(STX)
        if start < 0:
            return found
        end = rest.find(ETX, start + 1)
        if end < 0:
            return found
        found.append(rest[start + 1:end])
        rest = rest[end + 1:]


def parse_host_status(data: bytes) -> HostStatus:
    """Read a printer's answer to ~HS (all three strings). Raises HostStatusError when it is not one."""
    strings = frames(data)
    if len(strings) < 3:
        raise HostStatusError(f"~HS answer has {len(strings)} of its 3 strings")
    one = _fields(strings[0], "string 1", 12)
    two = _fields(strings[1], "string 2", 9)
    _fields(strings[2], "string 3", 2)
    return HostStatus(
        paper_out=_flag(one[1], "paper out flag"),
        paused=_flag(one[2], "pause flag"),
        label_length_dots=_number(one[3], "label length"),
        formats_in_buffer=_number(one[4], "formats in receive buffer"),
        buffer_full=_flag(one[5], "buffer full flag"),
        diagnostic_mode=_flag(one[6], "diagnostic mode flag"),
        partial_format=_flag(one[7], "partial format flag"),
        corrupt_ram=_flag(one[9], "corrupt RAM flag"),
        under_temperature=_flag(one[10], "under temperature flag"),
        over_temperature=_flag(one[11], "over temperature flag"),
        head_up=_flag(two[2], "head up flag"),
        ribbon_out=_flag(two[3], "ribbon out flag"),
        thermal_transfer=_flag(two[4], "thermal transfer flag"),
        labels_remaining=_number(two[8], "labels remaining"),
    )

