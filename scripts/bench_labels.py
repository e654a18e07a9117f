"""Benchmark: ZPL and PDF generation and preview rendering (render + decode every symbol) per label, and
the check of a run of 50 chart labels (every PDF page decoded).

Run: .venv/bin/python scripts/bench_labels.py [--repeat N]
Prints a Markdown table (the figures in docs/benchmarks.md, "Armbands and labels").
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from printers import (  # noqa: E402
    ArmbandLabel,
    ChartLabel,
    EncounterDetails,
    Label,
    LabelType,
    PatientIdentity,
    SpecimenLabel,
    load_printers_config,
    render_pdf,
    render_zpl,
    verify,
)
from printers.pdf import _ink  # noqa: E402

NAMES = {
    "ASCII name": ("O'Brien-Smith", ("Siobhan",)),
    "accented name": ("García-López", ("María", "José")),
    "stacked marks": ("Nguyễn", ("Thị", "Ấu")),
}


def make(label_type: LabelType, family: str, given: tuple[str, ...]) -> Label:
    patient = PatientIdentity(family, given, date(1971, 7, 30), "20000037", "female")
    encounter = EncounterDetails("610000026", date(2026, 11, 20), "ADEYEMI, Folake",
                                 ("Allergy: penicillin", "Fall risk"), allergies=1)
    if label_type is LabelType.SPECIMEN:
        return SpecimenLabel(patient, "S26-000123", "CBC with differential", "Lavender top (EDTA)",
                             datetime(2026, 11, 26, 8, 30))
    if label_type is LabelType.CHART:
        return ChartLabel(patient, encounter)
    return ArmbandLabel(patient, encounter, infant=label_type is LabelType.INFANT_ARMBAND)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, max) in milliseconds; the cache of PDF ink measurements is cleared before each run, so the
    figures are for a name never printed before (nothing else about text is cached)."""
    samples = []
    for _ in range(repeat):
        _ink.cache_clear()
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    config = load_printers_config(ROOT / "config" / "printers.toml", ROOT)
    print(f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{args.repeat} runs each, median (max) ms.\n")
    print("| label | name | ZPL 203 dpi | preview + decode 203 | ZPL 300 dpi | preview + decode 300 | PDF 300 dpi | "
          "PDF preview + decode 300 | ZPL bytes 300 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label_type in LabelType:
        media = config.media[label_type]
        for what, (family, given) in NAMES.items():
            label = make(label_type, family, given)
            cells = []
            size = 0
            for dpi in (203, 300):
                gen = timed(lambda label=label, media=media, dpi=dpi: render_zpl(label, media, dpi), args.repeat)
                rendered = render_zpl(label, media, dpi)
                size = len(rendered.data)
                check = timed(lambda rendered=rendered: verify(rendered), args.repeat)
                cells += [f"{gen[0]:.1f} ({gen[1]:.1f})", f"{check[0]:.1f} ({check[1]:.1f})"]
            gen = timed(lambda label=label, media=media: render_pdf(label, media), args.repeat)
            pdf = render_pdf(label, media)
            check = timed(lambda pdf=pdf: verify(pdf), args.repeat)
            cells += [f"{gen[0]:.1f} ({gen[1]:.1f})", f"{check[0]:.1f} ({check[1]:.1f})", f"{size:,}"]
            print(f"| {label_type.title} | {what} | " + " | ".join(cells) + " |")
    media = config.media[LabelType.CHART]
    run = make(LabelType.CHART, *NAMES["accented name"])
    zpl, pdf = render_zpl(run, media, 300, copies=50), render_pdf(run, media, copies=50)
    print(f"\nA run of 50 chart labels (accented name): ZPL 300 dpi {len(zpl.data):,} bytes (one format and ^PQ50), "
          f"check (the format; the ^PQ proven its only difference) {timed(lambda: verify(zpl), args.repeat)[0]:.1f} "
          f"ms; PDF {len(pdf.data):,} bytes, check of every page {timed(lambda: verify(pdf), args.repeat)[0]:.1f} ms.")


if __name__ == "__main__":
    main()
