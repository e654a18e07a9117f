"""Code 128 with the fewest symbol characters: subset C (two digits per character) for runs of digit pairs,
subset B for everything else, switching where that is shorter (issue 16: a 20-character alphanumeric identifier
or an odd-length number in one subset did not fit on adult and chart labels).

One encoding serves both printer languages, so a Zebra and a PDF carry the same symbol: `zpl_field` writes it as
^BC field data with ZPL's invocation codes (>; start C, >: start B, >5 code C, >6 code B; in subset B >< is ^,
>0 is > and >= is ~), and `modules` draws it bar by bar (the bar patterns of values 0 to 105 are python-barcode's
table of the standard's symbol characters).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from barcode.charsets.code128 import CODES

from .errors import LabelError

STOP = "1100011101011"  # the stop character with its final bar: 13 modules
START = {"B": 104, "C": 105}
SWITCH_TO = {"B": 100, "C": 99}  # "Code B" (read in subset C), "Code C" (read in subset B)
ZPL_START = {"B": ">:", "C": ">;"}
ZPL_SWITCH_TO = {"B": ">6", "C": ">5"}
ZPL_SUBSET_B = {"^": "><", ">": ">0", "~": ">="}


@dataclass(frozen=True)
class Code128:
    data: str
    runs: tuple[tuple[str, str], ...]  # (subset, text) in order

    @functools.cached_property
    def values(self) -> tuple[int, ...]:
        """Every symbol character's value: start, data and switches, check."""
        values = [START[self.runs[0][0]]]
        for i, (subset, text) in enumerate(self.runs):
            if i:
                values.append(SWITCH_TO[subset])
            if subset == "C":
                values.extend(int(text[j:j + 2]) for j in range(0, len(text), 2))
            else:
                values.extend(ord(ch) - 32 for ch in text)
        values.append((values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103)
        return tuple(values)

    @property
    def symbol_chars(self) -> int:
        """Data characters and switches (start and check not counted)."""
        return len(self.values) - 2

    @property
    def modules(self) -> int:
        """Width in modules, without quiet zones: 11 per character (start, data, check) and 13 for the stop."""
        return 11 * len(self.values) + len(STOP)

    def pattern(self) -> str:
        """The symbol as modules, '1' a bar and '0' a space, without quiet zones."""
        return "".join(CODES[v] for v in self.values) + STOP

    def zpl_field(self) -> str:
        """^BC field data (before ^FH_ escaping) that makes the printer build exactly this symbol."""
        out = []
        for i, (subset, text) in enumerate(self.runs):
            out.append(ZPL_SWITCH_TO[subset] if i else ZPL_START[subset])
            out.append(text if subset == "C" else "".join(ZPL_SUBSET_B.get(ch, ch) for ch in text))
        return "".join(out)


@functools.lru_cache(maxsize=2048)
def encode(data: str, what: str = "identifier") -> Code128:
    """The shortest Code 128 for `data` (printable ASCII) in subsets B and C. Ties keep the subset."""
    if not data or not all(32 <= ord(ch) < 127 for ch in data):
        raise LabelError(f"The {what} contains characters a Code 128 barcode cannot carry; nothing was printed.")
    n = len(data)
    never = n * 3 + 10
    # cost[i][s]: characters needed for data[i:] when subset s is in force at i (a switch included).
    cost = [{"B": never, "C": never} for _ in range(n + 1)]
    cost[n] = {"B": 0, "C": 0}
    for i in range(n - 1, -1, -1):
        stay = {"B": 1 + cost[i + 1]["B"],
                "C": 1 + cost[i + 2]["C"] if data[i:i + 2].isdigit() and i + 2 <= n else never}
        cost[i] = {"B": min(stay["B"], 1 + stay["C"]), "C": min(stay["C"], 1 + stay["B"])}
    subset = "C" if cost[0]["C"] < cost[0]["B"] else "B"
    runs: list[list[str]] = [[subset, ""]]
    i = 0
    while i < n:
        pair = data[i:i + 2].isdigit() and i + 2 <= n
        stay_cost = (1 + cost[i + 2]["C"] if pair else never) if subset == "C" else 1 + cost[i + 1]["B"]
        if stay_cost > cost[i][subset]:
            subset = "B" if subset == "C" else "C"
            runs.append([subset, ""])
            continue
        step = 2 if subset == "C" else 1
        runs[-1][1] += data[i:i + step]
        i += step
    return Code128(data, tuple((s, t) for s, t in runs if t or len(runs) == 1))
