"""Commit: accept or reject each application of an uploaded batch in one transaction, and
hand out the sequence numbers the receiving office's inbox is read by."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from zcreview.domain.model import iter_attachments
from zcreview.hub import rereport
from zcreview.hub.base import SEQ, HubBase, crash_point, office_info
from zcreview.hub.errors import HubError
from zcreview.hub.locks import advisory_key
from zcreview.intake.clean import clean_application
from zcreview.protocol import EntryResult, Manifest, ManifestEntry, Receipt
from zcreview.storage import hub_audit
from zcreview.storage.engine import insert_missing, is_sqlite
from zcreview.storage.sync_tables import (
    HubBatch,
    HubBlobRef,
    HubCounter,
    HubDelivery,
    HubOffice,
    HubPath,
    HubRevision,
)
from zcreview.storage.tables import utcnow

COMMIT_TURN = advisory_key("hub:commit")


def _reject(entry: ManifestEntry, reasons: list[str]) -> EntryResult:
    return EntryResult(
        application_id=entry.application_id,
        revision=entry.revision,
        accepted=False,
        reasons=reasons,
    )


def _entry_problem(entry: ManifestEntry, manifest: Manifest, seen: set[str]) -> str | None:
    """Why an entry cannot be accepted whatever the hub holds; None when it may be."""
    app_id = str(entry.application_id)
    if app_id in seen:
        return "同一批次中重复出现"
    seen.add(app_id)
    if hashlib.sha256(entry.application.encode()).hexdigest() != entry.revision:
        return "版本号与申报内容不符"
    checked = clean_application(entry.application)
    if checked.app is None:
        return "申报内容无效：" + "；".join(f"{p.field} {p.message}" for p in checked.problems[:3])
    app = checked.app
    if str(app.application_id) != app_id:
        return "申报编号与内容不符"
    b = app.basic
    if (b.series, b.level, b.year) != (entry.series, entry.level, entry.year):
        return "清单中的系列、级别或年度与申报内容不符"
    if (entry.series, entry.level) != (manifest.series, manifest.level):
        return f"不属于本批次的系列和级别（{manifest.series}·{manifest.level}）"
    listed = {blob.sha256 for blob in entry.blobs}
    unlisted = [ref.name for _, ref in iter_attachments(app) if ref.sha256 not in listed]
    if unlisted:
        return "附件未列入清单：" + "、".join(unlisted[:5])
    return None


def _check_entries(
    manifest: Manifest, office: HubOffice, to: HubOffice, *, has_path: bool
) -> list[tuple[ManifestEntry, list[str]]]:
    """Each entry with the reasons it is refused before looking at deliveries (none: may pass)."""
    seen: set[str] = set()
    checked: list[tuple[ManifestEntry, list[str]]] = []
    for entry in manifest.entries:
        problem = _entry_problem(entry, manifest, seen)
        if problem is None and not has_path:
            problem = (
                f"没有审核通过的路径：{office.name} → {to.name}（{entry.series}·{entry.level}），"
                "请先申请路径"
            )
        checked.append((entry, [problem] if problem is not None else []))
    return checked


def _decide(entry: ManifestEntry, to: HubOffice, delivered: dict[str, int]) -> EntryResult | None:
    """The outcome given the revisions of this application already delivered to `to`.

    None: accept as a new delivery. `delivered` maps revision to seq; the head is the latest.
    """
    same = delivered.get(entry.revision)
    if same is not None:
        return EntryResult(
            application_id=entry.application_id,
            revision=entry.revision,
            accepted=True,
            seq=same,
            duplicate=True,
        )
    head = max(delivered, key=lambda rev: delivered[rev]) if delivered else None
    if head is not None and entry.supersedes != head:
        return _reject(
            entry,
            [
                f"{to.name} 已有该申报的版本 {head[:12]}，"
                "新版本必须注明替代的是当前版本（supersedes）"
            ],
        )
    if head is None and entry.supersedes is not None:
        return _reject(entry, [f"替代的版本 {entry.supersedes[:12]} 不是 {to.name} 的当前版本"])
    return None


def _foreign_reasons(
    office: HubOffice,
    to: HubOffice,
    entries: list[ManifestEntry],
    travels: list[tuple[str, int, int]],
) -> dict[str, str]:
    """Applications this office may not report to `to`, with why (see docs/hub.md).

    `travels` are (application, from, to) of every delivery of these applications. An office
    continues only its own chain: it may report an application the hub has never seen, one it
    reported before, or one reported to it; and it may send a new revision to `to` only when
    `to` got that application from this office (a return goes back to that same office).
    """
    senders: dict[str, set[int]] = {}
    known: dict[str, set[int]] = {}
    for app_id, frm, dest in travels:
        known.setdefault(app_id, set()).update((frm, dest))
        if dest == to.id:
            senders.setdefault(app_id, set()).add(frm)
    reasons: dict[str, str] = {}
    for entry in entries:
        app_id = str(entry.application_id)
        if senders.get(app_id, {office.id}) != {office.id}:
            reasons[app_id] = f"该申报由其他单位报送至 {to.name}，本单位不能替代或重报"
        elif app_id in known and office.id not in known[app_id]:
            reasons[app_id] = "该申报不是本单位报送或收到的，不能上报"
    return reasons


class Commits(HubBase):
    def commit(self, office: HubOffice, batch_id: str) -> Receipt:
        """Accept or reject each application of an offered batch in one transaction.

        About ten statements whatever the batch size: entries are checked in memory, existing
        deliveries and revisions are read in one query each, and rows are inserted in bulk. The
        counter row is locked only for the last part (deliveries, receipt), which is what orders
        commits; the checks before it run side by side with other commits on PostgreSQL.
        """
        with self._write(), Session(self.engine) as s:
            batch = s.get(HubBatch, batch_id, with_for_update=True)
            if batch is None:
                raise HubError("unknown_batch", "没有这个批次，请先提交清单", "batch not offered")
            if batch.office_id != office.id:
                raise HubError("forbidden", "该批次属于其他单位", "batch of another office")
            if batch.state == "committed" and batch.receipt is not None:
                return Receipt.model_validate_json(batch.receipt)
            manifest = Manifest.model_validate_json(batch.manifest)
            shas = [b.sha256 for b in manifest.unique_blobs()]
            present = self._present(s, office, shas)
            missing = [sha for sha in shas if sha not in present]
            if missing:
                raise HubError(
                    "blobs_missing",
                    f"还有 {len(missing)} 个附件未上传完",
                    "blobs missing",
                    missing=missing,
                )
            to = s.get(HubOffice, batch.to_office_id)
            assert to is not None and office.id is not None and to.id is not None
            path = s.exec(
                select(HubPath.path_id).where(
                    HubPath.lower_id == office.id,
                    HubPath.upper_id == to.id,
                    HubPath.series == manifest.series,
                    HubPath.level == manifest.level,
                    HubPath.state == "approved",
                )
            ).first()
            checked = _check_entries(manifest, office, to, has_path=path is not None)
            self._refuse_foreign(s, office, to, checked)
            candidates = [e for e, reasons in checked if not reasons]
            # Revisions are keyed by content, so they are stored before the turn is taken: the
            # turn is one commit at a time for every office, and every statement in it counts.
            self._store_revisions(s, candidates)
            # From here on one commit at a time: deliveries are read and written under the
            # counter lock, so a head cannot move between the check and the insert.
            if not is_sqlite(self.engine):
                # Commits queue for their turn on a transaction advisory lock first: PostgreSQL
                # grants those in order of asking, while a row lock goes to whichever waiter
                # looks first once it is free, so under load some commits waited many turns
                # (p99 five times the median). The counter row lock then rarely waits.
                s.execute(select(func.pg_advisory_xact_lock(COMMIT_TURN)))
            counter = s.get(HubCounter, SEQ, with_for_update=True)
            assert counter is not None
            delivered = self._delivered(s, to.id, candidates)
            returned = rereport.returns_since(s, to.id, delivered)
            now = utcnow()
            results: list[EntryResult] = []
            accepted: list[ManifestEntry] = []
            for entry, reasons in checked:
                if not reasons:
                    app_id = str(entry.application_id)
                    result = _decide(entry, to, delivered.get(app_id, {}))
                    result = rereport.after_return(entry, result, returned.get(app_id), now)
                    if result is None:
                        counter.value += 1
                        accepted.append(entry)
                        result = EntryResult(
                            application_id=entry.application_id,
                            revision=entry.revision,
                            accepted=True,
                            seq=counter.value,
                        )
                else:
                    result = _reject(entry, reasons)
                results.append(result)
            # A re-report after a return may carry a revision delivered before: moved, not added.
            again = [e for e in accepted if e.revision in delivered.get(str(e.application_id), {})]
            seqs = {(str(r.application_id), r.revision): r.seq or 0 for r in results}
            rereport.redeliver(s, office.id, to.id, batch.batch_id, again, seqs)
            fresh = [e for e in accepted if not any(e is a for a in again)]
            self._insert_deliveries(s, office.id, to.id, batch.batch_id, fresh, results)
            receipt = Receipt(
                batch_id=manifest.batch_id,
                manifest_hash=batch.manifest_hash,
                from_office=office_info(office),
                to_office=office_info(to),
                results=results,
                committed_at=utcnow(),
            )
            batch.state = "committed"
            batch.receipt = receipt.model_dump_json()
            batch.committed_at = receipt.committed_at
            s.add(batch)
            s.add(counter)
            hub_audit.append(
                s,
                office.credit_code,
                "batch.commit",
                batch.batch_id,
                {
                    "to": to.credit_code,
                    "accepted": [str(e.application_id) for e in accepted],
                    "rejected": sum(1 for r in results if not r.accepted),
                },
            )
            s.commit()
            crash_point("committed")
            return receipt

    @staticmethod
    def _refuse_foreign(
        s: Session, office: HubOffice, to: HubOffice, checked: list[tuple[ManifestEntry, list[str]]]
    ) -> None:
        """Add a reason to each entry that would continue another office's chain."""
        entries = [e for e, reasons in checked if not reasons]
        if not entries:
            return
        travels = s.exec(
            select(
                HubDelivery.application_id, HubDelivery.from_office_id, HubDelivery.to_office_id
            ).where(col(HubDelivery.application_id).in_([str(e.application_id) for e in entries]))
        ).all()
        foreign = _foreign_reasons(office, to, entries, list(travels))
        for entry, reasons in checked:
            why = foreign.get(str(entry.application_id))
            if why is not None and not reasons:
                reasons.append(why)

    @staticmethod
    def _delivered(
        s: Session, to_id: int, entries: list[ManifestEntry]
    ) -> dict[str, dict[str, int]]:
        """For each application, the revisions already delivered to `to_id` and their seqs."""
        app_ids = [str(e.application_id) for e in entries]
        found: dict[str, dict[str, int]] = {}
        if not app_ids:
            return found
        rows = s.exec(
            select(HubDelivery.application_id, HubDelivery.revision, HubDelivery.seq).where(
                col(HubDelivery.application_id).in_(app_ids), HubDelivery.to_office_id == to_id
            )
        ).all()
        for app_id, revision, seq in rows:
            found.setdefault(app_id, {})[revision] = seq
        return found

    @staticmethod
    def _store_revisions(s: Session, entries: list[ManifestEntry]) -> None:
        """Each revision and its blob references, once: rows already held are left alone.

        A revision stored for an entry the commit then refuses (its head moved meanwhile) names
        no delivery, so it grants no office anything; a later delivery of it finds it there.
        """
        if not entries:
            return
        now = utcnow()
        revisions = {
            (str(e.application_id), e.revision): {
                "application_id": str(e.application_id),
                "revision": e.revision,
                "body": e.application,
                "created_at": now,
            }
            for e in entries
        }
        s.execute(insert_missing(s, HubRevision), list(revisions.values()))
        refs = {
            (str(e.application_id), e.revision, blob.sha256): {
                "application_id": str(e.application_id),
                "revision": e.revision,
                "sha256": blob.sha256,
            }
            for e in entries
            for blob in e.blobs
        }
        if refs:
            s.execute(insert_missing(s, HubBlobRef), [refs[k] for k in sorted(refs)])

    @staticmethod
    def _insert_deliveries(
        s: Session,
        from_id: int,
        to_id: int,
        batch_id: str,
        accepted: list[ManifestEntry],
        results: list[EntryResult],
    ) -> None:
        """The deliveries of the accepted entries, in one statement."""
        if not accepted:
            return
        now = utcnow()
        seqs = {(r.application_id, r.revision): r.seq for r in results if r.accepted}
        s.execute(
            insert(HubDelivery),
            [
                {
                    "seq": seqs[(e.application_id, e.revision)],
                    "application_id": str(e.application_id),
                    "revision": e.revision,
                    "supersedes": e.supersedes,
                    "from_office_id": from_id,
                    "to_office_id": to_id,
                    "batch_id": batch_id,
                    "series": e.series,
                    "level": e.level,
                    "year": e.year,
                    "blobs": json.dumps([blob.model_dump(mode="json") for blob in e.blobs]),
                    "created_at": now,
                }
                for e in accepted
            ],
        )
