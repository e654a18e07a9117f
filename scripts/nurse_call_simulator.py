"""A nurse-call system, simulated, for the demo and the tests: it posts calls from beds (and their clearing
at the bedside) to the kiosk's /calls/webhook, signed with the shared secret (KIOSK_CALLS_WEBHOOK_SECRET,
or --secret) the way a real one would be set up.

    # one call, and its clearing (tests; or by hand)
    .venv/bin/python scripts/nurse_call_simulator.py call --kiosk http://127.0.0.1:8000 --bed 4W-401 --reason pain
    .venv/bin/python scripts/nurse_call_simulator.py clear --kiosk http://127.0.0.1:8000 --id sim-1a2b3c

    # the demo (make run): a call every few minutes from an occupied bed of the unit, cleared 1-5 minutes later
    .venv/bin/python scripts/nurse_call_simulator.py run --kiosk http://127.0.0.1:8000 --every 180

`run` finds the occupied beds from the kiosk's own settings (its FHIR server and unit) unless --beds lists
them. It prints bed identifiers and reasons only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid

import httpx

from kiosk.web.signed import signed_headers

REASONS = {"pain": 25, "bathroom": 30, "help": 20, "iv-pump": 10, "bed-alarm": 12, "emergency": 3}


def post(kiosk: str, secret: str, payload: dict[str, object], timeout: float = 10) -> tuple[int, dict[str, object]]:
    """POST one signed event; (HTTP status, the kiosk's JSON answer)."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json", **signed_headers(secret, body)}
    response = httpx.post(kiosk.rstrip("/") + "/calls/webhook", content=body, headers=headers, timeout=timeout)
    try:
        answer = response.json()
    except ValueError:
        answer = {"result": response.text[:200]}
    return response.status_code, answer


def raise_call(kiosk: str, secret: str, bed: str, reason: str, call_id: str | None = None) -> tuple[int, dict, str]:
    call_id = call_id or f"sim-{uuid.uuid4().hex[:12]}"
    status, answer = post(kiosk, secret, {"event": "call", "id": call_id, "bed": bed, "reason": reason})
    return status, answer, call_id


def clear_call(kiosk: str, secret: str, call_id: str, by: str | None = None) -> tuple[int, dict]:
    payload: dict[str, object] = {"event": "cleared", "id": call_id}
    if by:
        payload["by"] = by
    return post(kiosk, secret, payload)


def occupied_beds() -> list[str]:
    """The identifiers of the unit's occupied beds, read with the kiosk's settings (its FHIR server)."""
    from kiosk.config import load_settings
    from kiosk.fhir.census import unit_census
    from kiosk.fhir.gateway import FhirGateway

    gw = FhirGateway.from_settings(load_settings())
    try:
        census = unit_census(gw)
    finally:
        gw.close()
    occupied = {loc.location for e in census.encounters if e.status == "in-progress"
                for loc in e.locations_with("active")}
    return [b.identifier for b in census.beds if b.reference in occupied and b.identifier]


def run(kiosk: str, secret: str, every: float, answer_after: tuple[float, float], beds: list[str],
        rng: random.Random) -> None:
    waiting: list[tuple[float, str]] = []
    next_call = time.monotonic() + rng.uniform(5, min(every, 30))
    while True:
        now = time.monotonic()
        for due, call_id in [w for w in waiting if w[0] <= now]:
            waiting.remove((due, call_id))
            status, answer = clear_call(kiosk, secret, call_id, by="Nurse at the bedside (simulated)")
            print(f"cleared {call_id}: HTTP {status} {answer.get('result')}", flush=True)
        if now >= next_call:
            bed = rng.choice(beds)
            reason = rng.choices(list(REASONS), weights=list(REASONS.values()))[0]
            try:
                status, answer, call_id = raise_call(kiosk, secret, bed, reason)
                print(f"call {call_id} from {bed} ({reason}): HTTP {status} {answer.get('result')}", flush=True)
                if status in (200, 201):
                    waiting.append((now + rng.uniform(*answer_after), call_id))
            except httpx.TransportError as e:
                print(f"the kiosk did not answer ({type(e).__name__}); trying again later", flush=True)
            next_call = now + rng.uniform(every * 0.5, every * 1.5)
        time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kiosk", default=f"http://127.0.0.1:{os.environ.get('KIOSK_WEB_PORT', '8000')}")
    parser.add_argument("--secret", default=os.environ.get("KIOSK_CALLS_WEBHOOK_SECRET", ""))
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("call", help="raise one call")
    one.add_argument("--bed", required=True, help="the bed's identifier, e.g. 4W-401")
    one.add_argument("--reason", required=True, choices=list(REASONS))
    one.add_argument("--id", help="the nurse-call system's id of the call (made up when not given)")
    clear = commands.add_parser("clear", help="clear a call at the bedside")
    clear.add_argument("--id", required=True)
    clear.add_argument("--by")
    loop = commands.add_parser("run", help="raise calls every few minutes until stopped")
    loop.add_argument("--every", type=float, default=180, help="seconds between calls, on average")
    loop.add_argument("--answer-after", default="60:300", help="seconds before a call is cleared: min:max")
    loop.add_argument("--beds", help="bed identifiers, comma-separated (default: the unit's occupied beds)")
    loop.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    if not args.secret:
        print("Set KIOSK_CALLS_WEBHOOK_SECRET (or --secret): the kiosk refuses unsigned calls.", file=sys.stderr)
        return 2
    if args.command == "call":
        status, answer, call_id = raise_call(args.kiosk, args.secret, args.bed, args.reason, args.id)
        print(json.dumps({"status": status, "id": call_id, **answer}))
        return 0 if status in (200, 201) else 1
    if args.command == "clear":
        status, answer = clear_call(args.kiosk, args.secret, args.id, args.by)
        print(json.dumps({"status": status, **answer}))
        return 0 if status == 200 else 1
    low, _, high = args.answer_after.partition(":")
    beds = [b.strip() for b in args.beds.split(",") if b.strip()] if args.beds else occupied_beds()
    if not beds:
        print("No occupied bed to call from.", file=sys.stderr)
        return 1
    print(f"Nurse-call simulator: a call every ~{args.every:g} s from {len(beds)} beds to {args.kiosk}", flush=True)
    try:
        run(args.kiosk, args.secret, args.every, (float(low), float(high or low)), beds, random.Random(args.seed))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
