"""Fast bulk path for benchmark offices: rows straight into storage, tiny shared blobs.

A few hundred fully generated applications serve as templates; every further applicant is a
template with a new identity (name, 身份证号, phone, dates), built on the template's JSON, so
50,000 applications take seconds rather than minutes. Rows are the ones `record_revision` writes
(application, revision with the canonical JSON, attachments), inserted a batch at a time.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from PIL import Image
from sqlalchemy import insert

from zcreview.demo.attachments import JPEG, PNG
from zcreview.demo.generate import Generator
from zcreview.demo.people import make_person
from zcreview.domain.model import iter_attachments
from zcreview.storage import transitions
from zcreview.storage.applications import queue_columns
from zcreview.storage.store import Store
from zcreview.storage.tables import AttachmentRow, BlobRow, RevisionRow, utcnow

if TYPE_CHECKING:
    from zcreview.demo.office import DemoSummary

TEMPLATES = 400
BATCH = 1000
_MIME = {"pdf": "application/pdf", JPEG: "image/jpeg", PNG: "image/png"}


def tiny_blobs() -> dict[str, bytes]:
    """One small valid file per extension: a one-page image PDF, a JPEG and a PNG."""
    img = Image.new("RGB", (62, 88), (236, 236, 230))
    img.paste((60, 60, 66), (8, 10, 54, 14))
    out: dict[str, bytes] = {}
    for ext, fmt in (("pdf", "PDF"), (JPEG, "JPEG"), (PNG, "PNG")):
        buf = io.BytesIO()
        kwargs: dict[str, Any] = {"resolution": 20.0} if fmt == "PDF" else {}
        if fmt == "PDF":
            kwargs["creationDate"] = kwargs["modDate"] = None
        img.save(buf, fmt, **kwargs)
        out[ext] = buf.getvalue()
    return out


@dataclass
class _Template:
    body: dict[str, Any]
    parts: list[str]  # canonical JSON cut where a clone's identity goes (see _IDENTITY)
    columns: dict[str, object]  # queue columns of the template (storage.applications)
    attachments: list[tuple[str, str, str, int, str]]  # field_path, name, sha256, size, mime
    counts: tuple[int, int, int]
    defective: bool


def _canonical(body: dict[str, Any]) -> bytes:
    # Exactly Application.canonical_json(): the hub and intake hash the same bytes.
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _templates(count: int, seed: int, blobs: dict[str, tuple[str, int, str]]) -> list[_Template]:
    from zcreview.configfiles import load_config
    from zcreview.domain.checks import counts, run_all

    config = load_config()
    gen = Generator(max(count, 1), seed)
    out: list[_Template] = []
    for i in range(min(count, TEMPLATES)):
        demo = gen.build(i)
        app = demo.app
        for _path, ref in iter_attachments(app):
            ext = ref.file.rsplit(".", 1)[-1]
            ref.sha256, ref.size, ref.mime = blobs[ext]
        atts = [
            (path, ref.name, ref.sha256 or "", ref.size or 0, ref.mime or "")
            for path, ref in iter_attachments(app)
        ]
        ok, warn, fail = counts(run_all(app, config))
        body = app.model_dump(mode="json")
        out.append(
            _Template(
                body=body,
                parts=_cut(body),
                columns=queue_columns(app),
                attachments=atts,
                counts=(ok, warn, fail),
                defective=bool(demo.defects),
            )
        )
    return out


# Fields a clone changes, each replaced by a marker before the template is serialised once.
_IDENTITY = ("application_id", "name", "id_number", "gender", "birth_date", "phone", "submitted_on")


def _marker(key: str) -> str:
    return f"\ue000{key}\ue000"  # a private-use character never found in generated text


def _cut(body: dict[str, Any]) -> list[str]:
    """The template's canonical JSON split around the identity fields, in text order.

    Sorted keys put every field at a fixed place whatever its value, so a clone's canonical JSON
    is these parts joined by its own values, byte for byte what `canonical_json()` would give.
    """
    marked = dict(body, application_id=_marker("application_id"))
    marked["basic"] = dict(body["basic"], **{k: _marker(k) for k in _IDENTITY[1:]})
    text = _canonical(marked).decode()
    parts: list[str] = []
    for key in sorted(_IDENTITY, key=lambda k: text.index(_marker(k))):
        before, text = text.split(json.dumps(_marker(key), ensure_ascii=False), 1)
        parts += [before, key]
    parts.append(text)
    return parts


def _fill(parts: list[str], values: dict[str, Any]) -> bytes:
    out = [json.dumps(values[p], ensure_ascii=False) if i % 2 else p for i, p in enumerate(parts)]
    return "".join(out).encode()


def _clone(t: _Template, rng: random.Random) -> dict[str, Any]:
    """A new identity for the template's career: the values of `_IDENTITY`."""
    basic = t.body["basic"]
    born = date.fromisoformat(basic["birth_date"])
    person = make_person(rng, born - timedelta(days=300), born + timedelta(days=300))
    values: dict[str, Any] = {
        "application_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "name": person.name,
        "id_number": person.id_number,
        "gender": person.sex,
        "birth_date": person.birth.isoformat(),
        "phone": person.phone,
        "submitted_on": basic["submitted_on"],
    }
    if basic.get("submitted_on"):
        sub = date.fromisoformat(basic["submitted_on"]) + timedelta(days=rng.randint(-20, 20))
        values["submitted_on"] = min(sub, date(sub.year, 9, 30)).isoformat()
    return values


def _identities(
    templates: list[_Template], count: int, seed: int
) -> Iterator[tuple[dict[str, Any], _Template]]:
    rng = random.Random(f"{seed}/bulk")
    for i in range(count):
        t = templates[i % len(templates)]
        if i < len(templates):
            basic = t.body["basic"]
            values = {k: basic.get(k) for k in _IDENTITY[1:]}
            values["application_id"] = t.body["application_id"]
            yield values, t
        else:
            yield _clone(t, rng), t


def bulk_insert(
    store: Store,
    count: int,
    seed: int,
    reviewers: Sequence[str],
    *,
    progress: Callable[[str, int, int], None] | None = None,
    summary: DemoSummary | None = None,
) -> int:
    """Insert `count` applications with states spread as in the full demo; returns the count."""
    from zcreview.demo.office import DEMO_ACTOR, StatePlan, plan_columns, plan_states

    blobs: dict[str, tuple[str, int, str]] = {}
    with store.session() as session:
        for ext, data in tiny_blobs().items():
            digest = store.blobs.put_bytes(data)
            blobs[ext] = (digest, len(data), _MIME[ext])
            if session.get(BlobRow, digest) is None:
                session.add(BlobRow(sha256=digest, size=len(data), mime=_MIME[ext]))
        session.commit()
    templates = _templates(count, seed, blobs)
    items = list(_identities(templates, count, seed))
    plans = plan_states(
        [(v["application_id"], t.defective, t.body["basic"]["year"]) for v, t in items],
        seed,
        reviewers,
    )
    now = utcnow()
    done = 0
    mark = "?" if store.engine.dialect.paramstyle == "qmark" else "%s"
    table = AttachmentRow.__tablename__
    attachment_sql = (
        f"INSERT INTO {table} (revision_id, field_path, name, sha256, size, mime) "
        f"VALUES ({', '.join([mark] * 6)})"
    )
    for start in range(0, count, BATCH):
        chunk = items[start : start + BATCH]
        chunk_plans: list[StatePlan] = plans[start : start + BATCH]
        app_rows: list[dict[str, Any]] = []
        rev_rows: list[dict[str, Any]] = []
        for (values, t), plan in zip(chunk, chunk_plans, strict=True):
            canonical = _fill(t.parts, values)
            rev = hashlib.sha256(canonical).hexdigest()
            cols = dict(t.columns)
            cols.update(name=values["name"], id_number=values["id_number"])
            if values["submitted_on"]:
                cols["submitted_on"] = date.fromisoformat(values["submitted_on"])
            n_ok, n_warn, n_fail = t.counts
            row: dict[str, Any] = dict(
                id=values["application_id"],
                head_revision=rev,
                revision_count=1,
                n_ok=n_ok,
                n_warn=n_warn,
                n_fail=n_fail,
                **cols,
            )
            row.update(plan_columns(plan, now))
            app_rows.append(row)
            rev_rows.append(
                dict(
                    application_id=values["application_id"],
                    revision=rev,
                    number=1,
                    supersedes=None,
                    body=canonical.decode(),
                    source="demo",
                    package_digest="",
                    created_at=now,
                )
            )
        with store.session() as session:
            transitions.create_many(
                app_rows, [p.state for p in chunk_plans], DEMO_ACTOR, session=session, now=now
            )
            conn = session.connection()
            ids = (
                conn.execute(
                    insert(RevisionRow.__table__).returning(  # type: ignore[attr-defined]
                        RevisionRow.__table__.c.id,  # type: ignore[attr-defined]
                        sort_by_parameter_order=True,
                    ),
                    rev_rows,
                )
                .scalars()
                .all()
            )
            # Most rows are attachments (about 16 an application): plain DB-API executemany,
            # which skips per-row parameter processing that would triple the time.
            att_rows = [
                (rid, p, n, s, z, m)
                for rid, (_v, t) in zip(ids, chunk, strict=True)
                for p, n, s, z, m in t.attachments
            ]
            conn.exec_driver_sql(attachment_sql, att_rows)
            session.commit()
        done += len(chunk)
        if progress is not None:
            progress("写入", done, count)
    if summary is not None:
        summary.defective = sum(1 for _v, t in items if t.defective)
        summary.imported = {"new": count}
    return count
