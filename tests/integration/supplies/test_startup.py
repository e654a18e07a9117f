"""A wrong par-levels file stops `kiosk serve` before it starts, with one sentence naming the line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.sekmet import free_port
from tests.support.supplies import SMALL_PAR

ROOT = Path(__file__).resolve().parents[3]


def test_kiosk_serve_refuses_a_par_file_with_an_unknown_location(tmp_path: Path) -> None:
    par = tmp_path / "par-levels.toml"
    par.write_text(SMALL_PAR.replace("CRASH = [", "CRASH-CART = ["))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")},
           "KIOSK_SUPPLIES_PAR_LEVELS": str(par), "KIOSK_DATABASE_URL": f"sqlite:///{tmp_path / 'kiosk.db'}",
           "KIOSK_WEB_SECRET_KEY": "test-secret-key-not-for-production"}
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "serve", "--port", str(free_port())], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"kiosk: {par} line 16: items are listed for location 'CRASH-CART', which is not declared; the locations "
        "are SUPPLY, CRASH."]
