"""Evidence checks on a freshly generated demo office, read by the real OCR model.

Generates `--count` demo applications, reads the personal attachments (the ones the EVID-*
checks read) of every application with a planted scan/form disagreement and of `--clean` others
the way the application does (`recognise_page`: a reliable PDF text layer, else OCR of the page
drawn at the worker's size), runs the evidence checks and prints one JSON line:

- `recall`: planted disagreements found as ✗ of the planted check on the planted field (goal 1.0);
- `fail_on_clean`: evidence ✗ on applications without a planted disagreement (goal 0);
- `extra_fail_on_planted`: ✗ on planted applications other than the planted one (`extra_fails`);
- `warn_on_clean`, pages read and the OCR rate, for context.

    python3 tests/bench/bench_evidence.py --count 60 --clean 5
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from zcreview.configfiles import default_config
from zcreview.demo.attachments import AttachmentPool
from zcreview.demo.generate import DemoApplication, generate_demo
from zcreview.domain.checks import EVIDENCE_REGISTRY, Severity, run_all
from zcreview.domain.model import iter_attachments
from zcreview.domain.recognised import PageText, TextLine
from zcreview.preview.document import open_document
from zcreview.preview.runner import recognise_page

_READ = ("education.", "titles[0].", "assessments[", "continuing_education[", "achievements[")


def ocr_attachment(data: bytes, sha256: str, name: str) -> list[PageText]:
    """The pages of one attachment read as the application reads them: a PDF's text layer
    where it is reliable, else OCR of the page drawn at the worker's size."""
    doc = open_document(data, name)
    try:
        pages = []
        for i in range(doc.page_count):
            got = recognise_page(doc, i)
            lines = tuple(TextLine(text, conf, box) for text, conf, box in got.lines)
            pages.append(PageText(sha256, i, got.engine, got.source, lines))
        return pages
    finally:
        doc.close()


def read_evidence(
    demo: DemoApplication, pool: AttachmentPool
) -> tuple[dict[str, list[PageText]], int]:
    """Fill the SHA-256 of the personal attachments, recognise them; (evidence, pages)."""
    evidence: dict[str, list[PageText]] = {}
    pages = 0
    for path, ref in iter_attachments(demo.app):
        if not path.startswith(_READ):
            continue
        data = pool.get(demo.files[ref.file])
        ref.sha256 = hashlib.sha256(data).hexdigest()
        if ref.sha256 not in evidence:
            evidence[ref.sha256] = ocr_attachment(data, ref.sha256, ref.file)
            pages += len(evidence[ref.sha256])
    return evidence, pages


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clean", type=int, default=5, help="applications without a plant to read")
    ap.add_argument("--planted", type=int, default=None, help="at most this many planted ones")
    args = ap.parse_args()
    config = default_config()
    demos = list(generate_demo(args.count, args.seed))
    planted = [d for d in demos if d.planted][: args.planted]
    clean = [d for d in demos if not d.planted][: args.clean]
    pool = AttachmentPool(args.seed)
    found = total = extra = fail_clean = warn_clean = pages = 0
    missed: list[str] = []
    false_fails: list[str] = []
    extras: list[str] = []
    started = time.perf_counter()
    ocr_seconds = 0.0
    for demo in planted + clean:
        t0 = time.perf_counter()
        evidence, n = read_evidence(demo, pool)
        ocr_seconds += time.perf_counter() - t0
        pages += n
        results = [
            r
            for r in run_all(demo.app, config, evidence=evidence)
            if r.check_id in EVIDENCE_REGISTRY
        ]
        fails = [r for r in results if r.severity is Severity.FAIL]
        if demo.planted:
            for p in demo.planted:
                total += 1
                hit = [r for r in fails if r.check_id == p.check_id and p.field in r.field_paths]
                if hit:
                    found += 1
                else:
                    missed.append(f"{demo.index}:{p.check_id}:{p.field}:{p.scan_says}")
                extra += len(fails) - len(hit)
                extras += [f"{demo.index}:{r.check_id}:{r.message}" for r in fails if r not in hit]
        else:
            fail_clean += len(fails)
            false_fails += [f"{demo.index}:{r.check_id}:{r.message}" for r in fails]
            warn_clean += sum(r.severity in (Severity.WARN, Severity.UNKNOWN) for r in results)
    print(
        json.dumps(
            {
                "bench": "evidence",
                "count": args.count,
                "seed": args.seed,
                "planted_apps": len(planted),
                "clean_apps_read": len(clean),
                "planted": total,
                "found": found,
                "recall": round(found / total, 3) if total else None,
                "fail_on_clean": fail_clean,
                "extra_fail_on_planted": extra,
                "warn_on_clean": warn_clean,
                "pages": pages,
                "ocr_pages_per_s": round(pages / ocr_seconds, 2) if ocr_seconds else None,
                "seconds": round(time.perf_counter() - started, 1),
                "missed": missed,
                "false_fails": false_fails[:10],
                "extra_fails": extras[:10],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
