"""Bundles on a stick are encrypted to the receiving office: nothing personal in clear, and every
way of meddling (tampering, swapping entries, another recipient, a plain bundle, a lost key) is
refused with a message naming the file, and changes nothing."""

from __future__ import annotations

import json
import shutil
import stat
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bundle_helpers import Side, bundle_pair, counts, make_side, seal, write_bundle
from tests.sync_helpers import first_file, passed_app
from zcreview.protocol import Manifest
from zcreview.storage import applications
from zcreview.storage.sync_tables import BundleKey, OutboxBatch
from zcreview.sync.bundle_files import BundleError
from zcreview.sync.bundle_import import import_batch
from zcreview.sync.bundle_trust import export_key, sign_and_write, trust
from zcreview.sync.delivery import drive
from zcreview.sync.sealing import ENCRYPTION_KEY_FILE
from zcreview.sync.signing import PRIVATE_KEY_FILE, PublicKeyFile
from zcreview.sync.transport import AwaitingReceipt


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Side, Side]]:
    with bundle_pair(tmp_path) as sides:
        yield sides


def personal(side: Side, app_id: str) -> list[bytes]:
    with side.store.session() as s:
        basic = applications.load_revision(app_id, session=s).basic
    assert basic.id_number and basic.phone
    return [basic.id_number.encode(), basic.phone.encode(), basic.name.encode()]


def record_starts(sealed: bytes) -> list[int]:
    """Where each record of a sealed blob file begins (length, nonce, ciphertext, tag)."""
    starts, pos = [], 0
    while pos < len(sealed):
        starts.append(pos)
        pos += 4 + 12 + struct.unpack(">I", sealed[pos : pos + 4])[0] + 16
    return starts


def all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_nothing_personal_on_the_stick_and_the_receiver_reads_it(
    pair: tuple[Side, Side],
) -> None:
    unit, dept = pair
    probe = passed_app(unit.store, 21)
    scan = b"%PDF-1.4 applicant scan 370102199001011234 " * 2000
    a1 = passed_app(unit.store, 22, big={first_file(probe, unit.store): scan})
    bundle = unit.usb / write_bundle(unit, [a1])
    raw = all_bytes(unit.usb)
    secrets = [*personal(unit, a1), b"370102199001011234"]
    for secret in secrets:
        for form in (secret, secret.decode().encode("unicode_escape")):
            assert form not in raw, secret.decode()
    assert b"zcreview-sealed" in (bundle / "manifest.json").read_bytes()

    imported = import_batch(dept.store, bundle)
    assert imported.receipt is not None and imported.receipt.results[0].accepted
    with dept.store.session() as s:
        assert applications.load_revision(a1, session=s).basic.id_number == secrets[0].decode()
    assert dept.store.blobs.read(dept.store.blobs.put_bytes(scan)) == scan
    # The receipt going back is sealed to the unit, which reads it.
    assert b"accepted" not in all_bytes(unit.usb / "receipts")
    assert drive(bundle.name, unit.transport, unit.store).results[0].accepted


def test_tampered_or_swapped_entries_are_refused_and_change_nothing(
    pair: tuple[Side, Side],
) -> None:
    unit, dept = pair
    probe = passed_app(unit.store, 23)
    scan = b"A" * 1_500_000
    a1 = passed_app(unit.store, 24, big={first_file(probe, unit.store): scan})
    a2 = passed_app(unit.store, 25, big={first_file(probe, unit.store): scan})
    b1 = unit.usb / write_bundle(unit, [a1])
    b2 = unit.usb / write_bundle(unit, [a2])
    before = counts(dept.store)
    [blob] = [p for p in (b1 / "blobs").iterdir() if p.stat().st_size > len(scan)]
    saved = blob.read_bytes()
    starts = record_starts(saved)
    assert len(starts) >= 2  # written in several chunks

    # The same attachment sealed in another bundle: same name, other bundle's key.
    shutil.copyfile(b2 / "blobs" / blob.name, blob)
    with pytest.raises(BundleError, match=f"{blob.name} 第 1 段解密失败"):
        import_batch(dept.store, b1)
    # One flipped bit in the second record.
    data = bytearray(saved)
    data[-100] ^= 1
    blob.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=f"{blob.name} 第 {len(starts)} 段解密失败"):
        import_batch(dept.store, b1)
    # Two records swapped.
    a, b = starts[0], starts[1]
    end = starts[2] if len(starts) > 2 else len(saved)
    blob.write_bytes(saved[b:end] + saved[a:b] + saved[end:])
    with pytest.raises(BundleError, match=f"{blob.name} 第 1 段解密失败"):
        import_batch(dept.store, b1)
    # Cut short at a record boundary (the last record dropped).
    blob.write_bytes(saved[: starts[-1]])
    with pytest.raises(BundleError, match=f"{blob.name} 不完整"):
        import_batch(dept.store, b1)
    blob.write_bytes(saved)

    # A manifest swapped in from another bundle, with its signature: bound to its bundle id.
    for name in ("manifest.json", "signature.json"):
        shutil.copyfile(b2 / name, b1 / name)
    with pytest.raises(BundleError, match=r"manifest\.json（manifest\.json）.*解密失败|不属于"):
        import_batch(dept.store, b1)
    assert counts(dept.store) == before


def test_a_bundle_for_another_office_is_refused(pair: tuple[Side, Side], tmp_path: Path) -> None:
    unit, dept = pair
    other = make_side(tmp_path, "威海市教育局", "D9000009", unit.usb, "主管部门")
    trust(other.store, unit.code, export_key(unit.store))
    a1 = passed_app(unit.store, 26)
    bundle = unit.usb / write_bundle(unit, [a1])
    before = counts(other.store)
    with pytest.raises(BundleError, match=f"是加密给 {dept.code} 的，不是本单位"):
        import_batch(other.store, bundle)
    assert counts(other.store) == before
    other.store.dispose()


def test_a_plain_bundle_from_a_peer_with_an_encryption_key_is_refused(
    pair: tuple[Side, Side],
) -> None:
    unit, dept = pair
    a1 = passed_app(unit.store, 27)
    bundle = unit.usb / write_bundle(unit, [a1])
    # The unit's own key signs a manifest in clear (an old program, or a substituted file).
    with unit.store.session() as s:
        row = s.get(OutboxBatch, bundle.name)
        assert row is not None
        manifest = row.manifest.encode()
    sign_and_write(unit.store, bundle, "manifest.json", "signature.json", "batch", manifest)
    before = counts(dept.store)
    with pytest.raises(BundleError, match=r"manifest\.json 未加密.*拒绝导入"):
        import_batch(dept.store, bundle)
    assert counts(dept.store) == before


def test_missing_keys_are_named(pair: tuple[Side, Side], tmp_path: Path) -> None:
    unit, dept = pair
    a1 = passed_app(unit.store, 28)
    bundle = unit.usb / write_bundle(unit, [a1])
    key = dept.home / ENCRYPTION_KEY_FILE
    moved = tmp_path / "key-aside"
    key.rename(moved)
    with pytest.raises(BundleError, match=f"加密私钥 {key} 不存在"):
        import_batch(dept.store, bundle)
    moved.rename(key)

    # An older key file (no encryption key) does not take the known encryption key away.
    old = PublicKeyFile(dept.name, dept.code, export_key(dept.store).public_key)
    assert "encryption_key" not in old.dumps()
    assert trust(unit.store, dept.name, PublicKeyFile.loads(old.dumps(), "old.json")).enc_key
    # An office trusted before encryption keys existed gets nothing in clear.
    with unit.store.session() as s:
        row = s.get(BundleKey, dept.code)
        assert row is not None
        row.enc_key = None
        s.add(row)
        s.commit()
    batch = seal(unit, [passed_app(unit.store, 29)])
    with pytest.raises(BundleError, match=f"没有 {dept.name} 的加密公钥"):
        drive(batch, unit.transport, unit.store)
    assert not (unit.usb / batch).exists() or not any((unit.usb / batch).rglob("*.json"))


def test_key_files_are_private(pair: tuple[Side, Side]) -> None:
    unit, _ = pair
    for rel in (PRIVATE_KEY_FILE, ENCRYPTION_KEY_FILE):
        assert stat.S_IMODE((unit.home / rel).stat().st_mode) == 0o600, rel
    exported = json.loads(export_key(unit.store).dumps())
    assert exported["version"] == 2 and exported["encryption_fingerprint"]


def test_a_bundle_an_older_program_left_in_clear_is_written_again_sealed(
    pair: tuple[Side, Side],
) -> None:
    unit, dept = pair
    a1 = passed_app(unit.store, 30)
    batch = seal(unit, [a1])
    bundle = unit.usb / batch
    with unit.store.session() as s:
        row = s.get(OutboxBatch, batch)
        assert row is not None
        manifest = Manifest.model_validate_json(row.manifest)
    for blob in manifest.unique_blobs():  # as the older program wrote them: plain files
        (bundle / "blobs").mkdir(parents=True, exist_ok=True)
        (bundle / "blobs" / blob.sha256).write_bytes(unit.store.blobs.read(blob.sha256))
    data = manifest.model_dump_json().encode()
    sign_and_write(unit.store, bundle, "manifest.json", "signature.json", "batch", data)

    with pytest.raises(AwaitingReceipt):
        drive(batch, unit.transport, unit.store)
    assert b"zcreview-sealed" in (bundle / "manifest.json").read_bytes()
    assert all(personal_bit not in all_bytes(unit.usb) for personal_bit in personal(unit, a1))
    assert import_batch(dept.store, bundle).receipt is not None
