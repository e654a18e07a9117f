"""The demo's pagers (make run): an SMTP server on a loopback port that takes the kiosk's pages, writes one
line per page to its log, and, like a busy doctor, acknowledges some of them a minute or two later with
the link in the message. For the demo only: real pages go to the hospital's SMTP server.

    .venv/bin/python scripts/pager_sink.py --port 2525 --acknowledge 0.7
"""

from __future__ import annotations

import argparse
import random
import re
import threading
import time
from email import message_from_bytes
from typing import Any

import httpx
from aiosmtpd.controller import Controller

LINK = re.compile(r"Ack (https?://\S+/paging/a/\S+)")


class Pagers:
    def __init__(self, acknowledge: float, after: tuple[float, float], rng: random.Random):
        self.acknowledge = acknowledge
        self.after = after
        self.rng = rng

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        key = message.get("X-Kiosk-Message", "?")
        print(f"page {key} to {', '.join(envelope.rcpt_tos)}", flush=True)
        payload = message.get_payload(decode=True)
        body = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        found = LINK.search(body)
        if found and self.rng.random() < self.acknowledge:
            delay = self.rng.uniform(*self.after)
            threading.Timer(delay, self.ack, args=(key, found.group(1))).start()
        return "250 OK taken by the demo pagers"

    @staticmethod
    def ack(key: str, link: str) -> None:
        try:
            answer = httpx.post(link, timeout=10)
            print(f"acknowledged {key}: HTTP {answer.status_code}", flush=True)
        except httpx.TransportError as e:
            print(f"could not acknowledge {key} ({type(e).__name__})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--acknowledge", type=float, default=0.7, help="share of pages acknowledged (0 to 1)")
    parser.add_argument("--after", default="40:150", help="seconds before acknowledging: min:max")
    args = parser.parse_args()
    low, _, high = args.after.partition(":")
    controller = Controller(Pagers(args.acknowledge, (float(low), float(high or low)), random.Random()),
                            hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"Demo pagers listening on 127.0.0.1:{args.port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
