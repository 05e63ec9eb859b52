"""Offers and resumable uploads: a batch's manifest is recorded, then each missing blob arrives
in verified chunks until its whole-file hash proves the office holds it."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from zcreview.hub.base import RACE_RETRIES, HubBase, check_replay, crash_point
from zcreview.hub.errors import HubError
from zcreview.protocol import BlobNeed, Manifest, OfferAnswer, UploadState
from zcreview.storage.blobs import sha256_file
from zcreview.storage.engine import is_sqlite
from zcreview.storage.sync_tables import HubBatch, HubOffice, HubOfficeBlob
from zcreview.storage.tables import utcnow


@dataclass
class _Turn:
    """An upload while one writer holds it: its row as read, and how to record its progress."""

    up: HubOfficeBlob
    record: Callable[[int, bool], None]


class Uploads(HubBase):
    def offer(self, office: HubOffice, batch_id: str, manifest: Manifest) -> OfferAnswer:
        """Record a batch bound to `office`; answer which blobs are missing and bytes held."""
        if str(manifest.batch_id) != batch_id:
            raise HubError("batch_id_mismatch", "路径中的批次号与清单不一致", "batch id differs")
        digest = manifest.digest()
        for attempt in range(RACE_RETRIES):
            try:
                committed = self._record_offer(office, batch_id, manifest, digest)
                break
            except IntegrityError:
                # Another writer recorded the same batch or blob a moment ago; look again.
                if attempt + 1 == RACE_RETRIES:
                    raise
        blobs = manifest.unique_blobs()
        with Session(self.engine) as s:
            present = self._present(s, office, [b.sha256 for b in blobs])
        lacking = [b for b in blobs if b.sha256 not in present]
        held = self._held_offsets(office, [b.sha256 for b in lacking])
        missing = [BlobNeed(sha256=b.sha256, size=b.size, have=held[b.sha256]) for b in lacking]
        return OfferAnswer(
            batch_id=manifest.batch_id, manifest_hash=digest, missing=missing, committed=committed
        )

    def _held_offsets(self, office: HubOffice, blob_ids: list[str]) -> dict[str, int]:
        """Durable bytes this office holds of each blob it is uploading, read in one query.

        The smaller of the recorded offset and the partial file's length, as `_reconcile` would
        make it; the next chunk reconciles for real, under the upload's lock.
        """
        if not blob_ids:
            return {}
        assert office.id is not None
        with Session(self.engine) as s:
            rows = s.exec(
                select(HubOfficeBlob.blob_id, HubOfficeBlob.offset).where(
                    col(HubOfficeBlob.blob_id).in_(blob_ids), HubOfficeBlob.office_id == office.id
                )
            ).all()
        recorded = dict(rows)
        held: dict[str, int] = {}
        for blob_id in blob_ids:
            path = self._partial(office.id, blob_id)
            on_disk = path.stat().st_size if path.exists() else 0
            held[blob_id] = min(recorded.get(blob_id, 0), on_disk)
        return held

    def _record_offer(
        self, office: HubOffice, batch_id: str, manifest: Manifest, digest: str
    ) -> bool:
        """Store the batch and its blob declarations; True when it was committed already."""
        with self._write(), Session(self.engine) as s:
            existing = s.get(HubBatch, batch_id)
            if existing is not None:
                check_replay(existing.office_id, office, existing.manifest_hash == digest, "批次")
                return existing.state == "committed"
            to = self._office_by_code(s, manifest.to_office)
            if to.id == office.id:
                raise HubError("self_report", "不能向本单位上报", "cannot report to self")
            assert office.id is not None and to.id is not None
            blobs = manifest.unique_blobs()
            shas = [b.sha256 for b in blobs]
            # Only this office's own declarations and the blobs it may read are compared: what
            # another office declared or uploaded must neither block it nor show through.
            declared = dict(
                s.exec(
                    select(HubOfficeBlob.blob_id, HubOfficeBlob.size).where(
                        col(HubOfficeBlob.blob_id).in_(shas), HubOfficeBlob.office_id == office.id
                    )
                ).all()
            )
            present = self._present(s, office, shas)
            new: list[dict[str, object]] = []
            for blob in blobs:
                size = declared.get(blob.sha256)
                if size is None:
                    new.append({"blob_id": blob.sha256, "size": blob.size, "mime": blob.mime})
                if (size is not None and size != blob.size) or (
                    blob.sha256 in present
                    and self.blobs.path(blob.sha256).stat().st_size != blob.size
                ):
                    raise HubError(
                        "blob_size_conflict",
                        f"附件 {blob.sha256[:12]} 的大小与先前声明不符",
                        "blob size differs from an earlier declaration",
                    )
            if new:
                now = utcnow()
                s.execute(
                    insert(HubOfficeBlob),
                    [
                        {
                            **row,
                            "office_id": office.id,
                            "offset": 0,
                            "owned": False,
                            "updated_at": now,
                        }
                        for row in new
                    ],
                )
            s.add(
                HubBatch(
                    batch_id=batch_id,
                    office_id=office.id,
                    to_office_id=to.id,
                    manifest_hash=digest,
                    manifest=manifest.model_dump_json(),
                )
            )
            s.commit()
            return False

    def upload_state(self, office: HubOffice, blob_id: str) -> UploadState:
        """Where this office's upload stands (HEAD). Reconciles the file with the offset."""
        self._check_digest(blob_id)
        if self._may_read(office, blob_id):
            size = self.blobs.path(blob_id).stat().st_size
            return UploadState(blob_id=blob_id, offset=size, size=size, complete=True)
        assert office.id is not None
        with self._upload_turn(office.id, blob_id) as turn:
            offset = self._reconcile(turn)
        return UploadState(blob_id=blob_id, offset=offset, size=turn.up.size, complete=False)

    @contextmanager
    def _upload_turn(self, office_id: int, blob_id: str) -> Iterator[_Turn]:
        """This office's upload of `blob_id`, held by one writer across threads and processes.

        On PostgreSQL the upload's own row, locked until the request's one transaction ends, is
        the lock (good across hosts); the offset recorded in it commits with the request, also
        when the request ends in a refusal. On SQLite, an `flock` beside the upload, short reads
        and a write of the offset of their own.
        """
        if is_sqlite(self.engine):
            with self._upload_lock(office_id, blob_id):
                up = self._load_upload(office_id, blob_id)
                yield _Turn(up, lambda offset, owned: self._record_offset(up, offset, owned))
            return
        with Session(self.engine, expire_on_commit=False) as s:
            row = s.get(HubOfficeBlob, (blob_id, office_id), with_for_update=True)
            if row is None:
                raise self._not_found()

            def record(offset: int, owned: bool) -> None:
                row.offset, row.owned, row.updated_at = offset, owned, utcnow()
                s.add(row)

            try:
                yield _Turn(row, record)
            except HubError:
                s.commit()  # a refusal keeps what it recorded (a reconciled or dropped upload)
                raise
            s.commit()

    def _load_upload(self, office_id: int, blob_id: str) -> HubOfficeBlob:
        # A short read of its own: a long-lived SQLite read snapshot could not be upgraded to a
        # write once another thread has committed (SQLITE_BUSY_SNAPSHOT).
        with Session(self.engine) as s:
            up = s.get(HubOfficeBlob, (blob_id, office_id))
        if up is None:
            raise self._not_found()
        return up

    def _record_offset(self, up: HubOfficeBlob, offset: int, owned: bool) -> None:
        with self._write(), Session(self.engine) as s:
            row = s.get(HubOfficeBlob, (up.blob_id, up.office_id))
            if row is not None:
                row.offset, row.owned, row.updated_at = offset, owned, utcnow()
                s.add(row)
                s.commit()

    def _reconcile(self, turn: _Turn) -> int:
        """The durable offset: the smaller of the recorded offset and the file's length.

        A crash between writing a chunk and recording its offset leaves extra bytes, which are
        cut off (the client never saw them acknowledged and sends them again).
        """
        up = turn.up
        path = self._partial(up.office_id, up.blob_id)
        on_disk = path.stat().st_size if path.exists() else 0
        if on_disk > up.offset:
            with path.open("r+b") as f:
                f.truncate(up.offset)
                os.fsync(f.fileno())
        elif on_disk < up.offset:
            turn.record(on_disk, False)
            up.offset = on_disk
        return up.offset

    def append_chunk(
        self, office: HubOffice, blob_id: str, offset: int, data: bytes, checksum: str
    ) -> UploadState:
        """Append one verified chunk at `offset` to this office's upload, durably."""
        self._check_digest(blob_id)
        if self._may_read(office, blob_id):
            size = self.blobs.path(blob_id).stat().st_size
            if offset != size:
                raise HubError("offset_mismatch", "附件已完整", "blob complete", offset=size)
            return UploadState(blob_id=blob_id, offset=size, size=size, complete=True)
        assert office.id is not None
        with self._upload_turn(office.id, blob_id) as turn:
            up = turn.up
            true_offset = self._reconcile(turn)
            if offset != true_offset:
                raise HubError(
                    "offset_mismatch",
                    f"上传位置应为 {true_offset}",
                    f"expected offset {true_offset}",
                    offset=true_offset,
                )
            if not data:
                raise HubError("empty_chunk", "数据块为空", "empty chunk", offset=offset)
            if offset + len(data) > up.size:
                raise HubError(
                    "too_long", "数据超出附件大小", "chunk beyond blob size", offset=offset
                )
            if hashlib.sha256(data).hexdigest() != checksum:
                raise HubError(
                    "checksum_mismatch",
                    "数据块校验失败，已丢弃，请重发",
                    "chunk checksum mismatch, discarded",
                    offset=offset,
                )
            path = self._partial(office.id, blob_id)
            path.parent.mkdir(exist_ok=True)
            with path.open("ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            crash_point("chunk_written")
            new_offset = offset + len(data)
            complete = new_offset == up.size
            if complete:
                self._finish(turn, path)
            turn.record(new_offset, complete)
            return UploadState(blob_id=blob_id, offset=new_offset, size=up.size, complete=complete)

    def _finish(self, turn: _Turn, path: Path) -> None:
        """Verify the whole file, then move it into the blob store atomically.

        The hash check is the office's proof that it holds the file; when the store already has
        the same bytes (another office's copy) the upload is simply dropped after the check.
        """
        up = turn.up
        if sha256_file(path) != up.blob_id:
            path.unlink(missing_ok=True)
            turn.record(0, False)
            raise HubError(
                "blob_hash_mismatch",
                "附件整体校验失败，已丢弃，请从头上传",
                "whole-file hash mismatch, start again",
                offset=0,
            )
        target = self.blobs.path(up.blob_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)  # identical bytes when another office's copy is there
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # ------------------------------------------------------------ commit
