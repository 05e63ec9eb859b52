"""Folder bundles: a unit reports to its department on a USB stick, and everything that goes wrong.

Out of order: a resubmission bundle imported before the bundle with its original is held back
(not committed, nothing changes) with a message asking for the earlier bundle; importing the
whole exchange folder retries held bundles after the others, so any order of arrival works.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from tests.bundle_helpers import Side, bundle_pair, counts, make_side, seal, write_bundle
from tests.sync_helpers import (
    LEVEL,
    SERIES,
    SOON,
    YEAR,
    first_file,
    pass_here,
    passed_app,
    return_here,
)
from tests.sync_helpers import state_of as state
from zcreview.cli import main
from zcreview.domain.workflow import State
from zcreview.protocol import Correction
from zcreview.storage import applications
from zcreview.storage.office import add_reviewer
from zcreview.storage.store import open_store
from zcreview.storage.sync_tables import OutboxBatch
from zcreview.sync import bundle_files
from zcreview.sync.bundle_files import BundleError, NotYet
from zcreview.sync.bundle_import import import_batch, import_dir
from zcreview.sync.delivery import drive
from zcreview.sync.folder import FolderTransport
from zcreview.sync.inbox import pull_returns, push_returns
from zcreview.sync.sealing import scan_records
from zcreview.sync.transport import AwaitingReceipt


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    """A unit and its department that trust each other's keys and share an approved path."""
    with bundle_pair(tmp_path) as sides:
        yield sides


def correct(side: Side, app_id: str, phone: str) -> None:
    """The applicant corrects the phone number; the new revision is passed again."""
    with side.store.session() as s:
        app = applications.load_revision(app_id, session=s).model_copy(deep=True)
        app.basic.phone = phone
        applications.record_revision(app, session=s)
        s.commit()
    pass_here(side.store, app_id)


def run(capsys: pytest.CaptureFixture[str], side: Side, *argv: str) -> tuple[int, str]:
    code = main(["--home", str(side.home), *argv])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_round_trip_by_folder_with_the_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    unit = make_side(tmp_path, "烟台某建设工程有限公司", "A2000002", usb)
    dept = make_side(tmp_path, "烟台市住房和城乡建设局", "D2000002", usb, "主管部门")
    keys = tmp_path / "keys"
    keys.mkdir()
    for side in (unit, dept):
        code, out = run(capsys, side, "bundle", "key", "export", "--out", str(keys / side.code))
        assert code == 0 and "指纹" in out
    code, out = run(capsys, unit, "bundle", "trust", "某某局", str(keys / dept.code))
    assert code == 2 and "不是“某某局”" in out  # the name is a check on the file
    assert run(capsys, unit, "bundle", "trust", dept.name, str(keys / dept.code))[0] == 0
    assert run(capsys, dept, "bundle", "trust", unit.code, str(keys / unit.code))[0] == 0

    # 路径 over the stick: request, import, approve, import the decision.
    code, out = run(
        capsys, unit, "path", "request", "--series", SERIES, "--level", LEVEL, "--upper", "住房"
    )
    assert code == 0 and "待审核" in out, out
    code, out = run(capsys, dept, "bundle", "import", str(usb))
    assert code == 0 and "路径申请" in out, out
    code, out = run(capsys, dept, "path", "list")
    path_id = out.split()[0]
    assert code == 0 and "待我审核" in out
    assert run(capsys, dept, "path", "approve", path_id)[0] == 0

    with unit.store.session() as s:  # 实名制: only a registered reviewer reports
        add_reviewer(session=s, name="王审核")
        s.commit()
    big = os.urandom(700_000)
    a1 = passed_app(unit.store, 1)
    a2 = passed_app(unit.store, 2, big={first_file(a1, unit.store): big})
    code, out = run(
        capsys, unit, "report", "--year", str(YEAR), "--level", LEVEL, "--series", SERIES,
        "--all", "--reviewer", "王审核",
    )  # fmt: skip
    assert code == 0 and "等待" in out, out  # the approval came in with the report's refresh
    assert state(unit.store, a1) == State.PASSED.value  # no receipt yet
    [bundle] = [p for p in usb.iterdir() if p.name not in ("paths", "receipts", "returns")]
    assert {p.name for p in bundle.iterdir()} == {"blobs", "manifest.json", "signature.json"}
    assert not list(bundle.rglob(".*"))  # no temporary files left

    code, out = run(capsys, dept, "bundle", "import", str(usb))
    assert code == 0 and "接收 2 份" in out and "收到上报" in out, out
    assert state(dept.store, a1) == State.PENDING.value
    code, out = run(capsys, dept, "bundle", "import", str(bundle))
    assert code == 0 and "无变化" in out

    code, out = run(capsys, unit, "sync")  # reads the receipt off the stick
    assert code == 0 and "接收 2 份" in out, out
    assert {state(unit.store, a) for a in (a1, a2)} == {State.REPORTED.value}

    # A return comes down the same way.
    return_here(dept.store, a1, [Correction(item="basic.phone", reason="手机号有误")], SOON)
    code, out = run(capsys, dept, "bundle", "export-returns", str(usb))
    assert code == 0 and "已写出退回" in out
    code, out = run(capsys, unit, "sync")
    assert code == 0 and state(unit.store, a1) == State.RETURNED_FROM_ABOVE.value, out

    # The corrected resubmission travels with no scan bytes: the department holds them.
    correct(unit, a1, "13905310000")
    batch2 = write_bundle(unit, [a1])
    assert sorted(p.name for p in (usb / batch2).iterdir()) == ["manifest.json", "signature.json"]
    code, out = run(capsys, dept, "sync")
    assert code == 0 and "revision" in out, out
    assert state(dept.store, a1) == State.RESUBMITTED.value
    assert drive(batch2, unit.transport, unit.store).results[0].accepted


def test_truncated_bundles_are_refused_naming_the_file(pair: tuple[Side, Side]) -> None:
    unit, dept = pair
    a1 = passed_app(unit.store, 3)
    batch_id = write_bundle(unit, [a1])
    bundle = unit.usb / batch_id
    before = counts(dept.store)

    blob = next((bundle / "blobs").iterdir())
    whole = blob.read_bytes()
    blob.write_bytes(whole[: len(whole) // 2])  # the copy was cut off
    with pytest.raises(BundleError, match=f"{blob.name}.*不完整"):
        import_batch(dept.store, bundle)
    blob.write_bytes(whole)

    manifest = bundle / "manifest.json"
    saved = manifest.read_bytes()
    manifest.unlink()  # copied in the wrong order and pulled out early
    with pytest.raises(BundleError, match=r"manifest\.json 缺失"):
        import_batch(dept.store, bundle)
    [result] = [r for r in import_dir(dept.store, unit.usb) if r.kind == "batch"]
    assert "manifest.json 缺失" in result.error
    manifest.write_bytes(saved)
    assert counts(dept.store) == before
    assert import_batch(dept.store, bundle).receipt is not None


def test_tampered_bundles_are_refused(pair: tuple[Side, Side]) -> None:
    unit, dept = pair
    a1 = passed_app(unit.store, 4)
    bundle = unit.usb / write_bundle(unit, [a1])
    before = counts(dept.store)

    blob = next((bundle / "blobs").iterdir())
    data = bytearray(blob.read_bytes())
    data[100] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=f"{blob.name} 第 1 段解密失败"):
        import_batch(dept.store, bundle)
    data[100] ^= 0xFF
    blob.write_bytes(bytes(data))

    manifest = bundle / "manifest.json"
    saved = manifest.read_bytes()
    doc = json.loads(saved)
    doc["recipient"] = "91370000MA00000000"  # readable by someone else
    manifest.write_bytes(json.dumps(doc, ensure_ascii=False).encode())
    with pytest.raises(BundleError, match=r"manifest\.json：内容与签名不符"):
        import_batch(dept.store, bundle)
    manifest.write_bytes(saved)
    assert counts(dept.store) == before


def test_bundles_signed_by_another_office_are_refused(
    pair: tuple[Side, Side], tmp_path: Path
) -> None:
    unit, dept = pair
    a1 = passed_app(unit.store, 5)
    bundle = unit.usb / write_bundle(unit, [a1])
    # Another office re-signs the manifest with its own key, claiming to be the unit.
    other = make_side(tmp_path, "冒名单位", "E3000003", unit.usb)
    from zcreview.sync.signing import OfficeKey

    forged = OfficeKey.load_or_create(other.home).sign(
        "batch", unit.code, unit.name, "manifest.json", (bundle / "manifest.json").read_bytes()
    )
    (bundle / "signature.json").write_bytes(forged)
    with pytest.raises(BundleError, match="签名无效"):
        import_batch(dept.store, bundle)
    # Signed as itself: an office the department never trusted.
    own = OfficeKey.load_or_create(other.home).sign(
        "batch", other.code, other.name, "manifest.json", (bundle / "manifest.json").read_bytes()
    )
    (bundle / "signature.json").write_bytes(own)
    with pytest.raises(BundleError, match="未信任的单位 冒名单位"):
        import_batch(dept.store, bundle)
    other.store.dispose()


def test_importing_twice_changes_nothing(pair: tuple[Side, Side]) -> None:
    unit, dept = pair
    apps = [passed_app(unit.store, i) for i in (6, 7)]
    bundle = unit.usb / write_bundle(unit, apps)
    first = import_batch(dept.store, bundle)
    assert first.changed and len(first.received) == 2
    after_first = counts(dept.store)
    receipt_file = unit.usb / "receipts" / bundle.name / "receipt.json"
    receipt_bytes = receipt_file.read_bytes()
    again = import_batch(dept.store, bundle)
    assert not again.changed and again.receipt == first.receipt and again.received == ()
    assert counts(dept.store) == after_first
    assert receipt_file.read_bytes() == receipt_bytes
    # And the sender applying the receipt twice: once.
    receipt = drive(bundle.name, unit.transport, unit.store)
    assert receipt == first.receipt
    assert [r.changed for r in import_dir(unit.store, unit.usb / "receipts" / bundle.name)] == [
        False
    ]


def test_out_of_order_resubmission_waits_for_its_original(pair: tuple[Side, Side]) -> None:
    unit, dept = pair
    a1 = passed_app(unit.store, 8)
    b1 = write_bundle(unit, [a1])
    # The receipt for b1 and a return of it reach the unit (from a copy of the department that
    # imported it), so the unit seals the corrected revision as superseding it; the department
    # itself has not imported b1 when b2 arrives.
    dept.store.dispose()
    clone = open_store(shutil.copytree(dept.home, dept.home.parent / "dept-clone"))
    import_batch(clone, unit.usb / b1)
    return_here(clone, a1, [Correction(item="basic.phone", reason="手机号有误")], SOON)
    push_returns(FolderTransport(unit.usb, clone), clone)
    clone.dispose()
    assert drive(b1, unit.transport, unit.store).results[0].accepted
    assert [a.applied for a in pull_returns(unit.transport, unit.store)] == [True]
    correct(unit, a1, "13905310001")
    b2 = write_bundle(unit, [a1])

    before = counts(dept.store)
    with pytest.raises(NotYet, match="请先导入更早的批次"):
        import_batch(dept.store, unit.usb / b2)
    assert counts(dept.store) == before  # held back, not rejected: nothing committed
    results = {r.ident: r for r in import_dir(dept.store, unit.usb) if r.kind == "batch"}
    assert set(results) == {b1, b2} and not any(r.error for r in results.values())
    assert all(r.receipt and r.receipt.results[0].accepted for r in results.values())
    receipt = drive(b2, unit.transport, unit.store)
    assert receipt.results[0].accepted


def test_re_report_after_a_return_travels_by_bundle(pair: tuple[Side, Side]) -> None:
    """Return → passed again unchanged → re-reported; then returned → corrected → re-reported."""
    unit, dept = pair
    a1 = passed_app(unit.store, 9)
    b1 = write_bundle(unit, [a1])
    [first] = import_batch(dept.store, unit.usb / b1).received
    drive(b1, unit.transport, unit.store)
    for phone in (None, "13905310003"):
        return_here(dept.store, a1, [Correction(item="basic.phone", reason="手机号有误")], SOON)
        push_returns(dept.transport, dept.store)
        assert [a.applied for a in pull_returns(unit.transport, unit.store)] == [True]
        if phone is None:
            pass_here(unit.store, a1)
        else:
            correct(unit, a1, phone)
        batch = write_bundle(unit, [a1])
        imported = import_batch(dept.store, unit.usb / batch)
        assert imported.receipt is not None
        [result] = imported.receipt.results
        assert result.accepted and not result.duplicate
        [got] = imported.received
        assert got.outcome == ("redelivered" if phone is None else "revision")
        assert (got.revision == first.revision) == (phone is None)
        # The receipt says 接收 and the department holds it again, in its queue.
        assert state(dept.store, a1) == State.RESUBMITTED.value
        assert drive(batch, unit.transport, unit.store).results[0].accepted
        assert state(unit.store, a1) == State.REPORTED.value


class Full:
    """os.write that accepts `budget` bytes in all, then fails with ENOSPC."""

    def __init__(self, budget: int) -> None:
        self.budget = budget

    def __call__(self, fd: int, data: bytes | memoryview) -> int:
        if self.budget <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = min(len(data), self.budget, 64 * 1024)
        self.budget -= n
        return os.write(fd, data[:n])


class FullFor:
    """Fails writes only to files whose name contains `word` (the disk fills at that file)."""

    def __init__(self, word: str, full: Full) -> None:
        self.word, self.full = word, full

    def __call__(self, fd: int, data: bytes | memoryview) -> int:
        if self.word in os.readlink(f"/proc/self/fd/{fd}"):
            return self.full(fd, data)
        return os.write(fd, data)


def test_disk_full_leaves_nothing_half_written(
    pair: tuple[Side, Side], monkeypatch: pytest.MonkeyPatch
) -> None:
    unit, dept = pair
    probe = passed_app(unit.store, 9)
    big = os.urandom(700_000)
    a1 = passed_app(unit.store, 10, big={first_file(probe, unit.store): big})
    batch_id = seal(unit, [a1])
    bundle = unit.usb / batch_id

    monkeypatch.setattr(bundle_files, "os_write", Full(300_000))
    with pytest.raises(BundleError, match=r"磁盘空间不足.*未写完的部分已删除"):
        drive(batch_id, unit.transport, unit.store)
    assert not (bundle / "manifest.json").exists()
    parts = list((bundle / "blobs").glob(".*.part"))
    for part in parts:  # whole sealed records of whole chunks only
        plain, _, whole = scan_records(part)
        assert whole == part.stat().st_size and plain % (256 * 1024) == 0
    with unit.store.session() as s:
        row = s.get(OutboxBatch, batch_id)
        assert row is not None and "磁盘空间不足" in row.last_error

    # Room for the attachments but not for the manifest.
    monkeypatch.setattr(bundle_files, "os_write", FullFor("manifest", Full(0)))
    with pytest.raises(BundleError, match=r"manifest\.json"):
        drive(batch_id, unit.transport, unit.store)
    assert sorted(p.name for p in bundle.iterdir()) == ["blobs"]  # no manifest, no temp file
    with pytest.raises(BundleError, match=r"manifest\.json 缺失"):
        import_batch(dept.store, bundle)

    monkeypatch.setattr(bundle_files, "os_write", os.write)
    with pytest.raises(AwaitingReceipt):
        drive(batch_id, unit.transport, unit.store)
    assert import_batch(dept.store, bundle).receipt is not None
    assert drive(batch_id, unit.transport, unit.store).results[0].accepted
    with unit.store.session() as s:
        assert s.exec(select(OutboxBatch.state)).all() == ["acknowledged"]
