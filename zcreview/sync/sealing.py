"""Bundle encryption: an X25519 key per office, sealed JSON entries and sealed blob records.

A bundle between two offices is encrypted with ChaCha20-Poly1305 under a key derived (HKDF-
SHA256) from the X25519 agreement of the sender's private key and the recipient's public key,
bound to both credit codes and the bundle id. Either office can derive it, so the sender can
read back what it wrote (a resumed upload, an idempotent rewrite) and nobody else can.

Nonces are synthetic: the first 12 bytes of HMAC-SHA256 (under a second key from the same HKDF)
of the associated data and the plaintext.
Sealing the same entry twice gives the same bytes (a rewritten file is identical), and two
different plaintexts never share a nonce. The associated data names the bundle and the entry
(and, for blob records, the record's index and whether it is the last), so an entry moved to
another bundle or name, records reordered, or a blob cut short do not decrypt.
"""

from __future__ import annotations

import base64
import json
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from zcreview.sync.transport import SyncError

SEALED_FORMAT: Final = "zcreview-sealed"
ENCRYPTION_KEY_FILE: Final = Path("keys") / "office-x25519.pem"
_INFO: Final = b"zcreview-bundle-seal-v1"
_RECORD_HEAD: Final = struct.Struct(">I12s")  # plaintext length, nonce
TAG: Final = 16


class SealError(SyncError):
    """An entry that cannot be sealed or opened; the message names the file and the entry."""


# ---------------------------------------------------------------- keys


def public_key_bytes(b64: str) -> X25519PublicKey:
    raw = base64.b64decode(b64, validate=True)
    if len(raw) != 32:
        raise ValueError("X25519 public keys are 32 bytes")
    return X25519PublicKey.from_public_bytes(raw)


class SealKey:
    """This office's X25519 private key, kept in its home (0600) and made on first need."""

    def __init__(self, private: X25519PrivateKey, path: Path) -> None:
        self._private = private
        self.path = path

    @classmethod
    def load(cls, home: Path) -> SealKey:
        """The existing key; SealError naming the file when there is none."""
        path = home / ENCRYPTION_KEY_FILE
        if not path.is_file():
            raise SealError(
                f"本单位的加密私钥 {path} 不存在：无法解密发给本单位的文件夹文件"
                "（从备份恢复该文件，或导出新公钥交对方重新 trust 后请对方重写）"
            )
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except ValueError:
            raise SealError(f"加密私钥文件 {path} 已损坏") from None
        if not isinstance(key, X25519PrivateKey):
            raise SealError(f"加密私钥文件 {path} 不是 X25519 密钥")
        return cls(key, path)

    @classmethod
    def load_or_create(cls, home: Path) -> SealKey:
        path = home / ENCRYPTION_KEY_FILE
        if path.is_file():
            return cls.load(home)
        create_key_file(path, X25519PrivateKey.generate())
        return cls.load(home)

    @property
    def public_key(self) -> str:
        raw = self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return base64.b64encode(raw).decode()

    def bundle_key(
        self, peer_public: str, sender: str, recipient: str, bundle: str
    ) -> BundleCipher:
        """The key of one bundle from `sender` to `recipient` (the same on both sides)."""
        shared = self._private.exchange(public_key_bytes(peer_public))
        info = b"\0".join([_INFO, sender.encode(), recipient.encode(), bundle.encode()])
        keys = HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=info).derive(shared)
        return BundleCipher(keys[:32], keys[32:], sender, recipient, bundle)


def create_key_file(path: Path, key: X25519PrivateKey | Ed25519PrivateKey) -> None:
    """Write a new private key to `path` (PKCS8 PEM, 0600, folder 0700) unless one is there.

    Two processes making a key at once: the first link wins and both read the winner back, so
    an office never signs or seals with a key other than the one on disk."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- sealing


@dataclass(frozen=True)
class BundleCipher:
    """The symmetric keys of one bundle (cipher, nonce MAC) and what they are bound to."""

    key: bytes
    mac_key: bytes
    sender: str
    recipient: str
    bundle: str

    def _nonce(self, aad: bytes, data: bytes) -> bytes:
        mac = hmac.HMAC(self.mac_key, hashes.SHA256())
        mac.update(struct.pack(">Q", len(aad)) + aad)
        mac.update(data)
        return mac.finalize()[:12]

    def _entry_aad(self, entry: str) -> bytes:
        fields = ["entry", self.sender, self.recipient, self.bundle, entry]
        return b"\0".join(f.encode() for f in fields)

    def seal(self, entry: str, plaintext: bytes) -> bytes:
        """A sealed JSON document holding `plaintext` as the entry `entry` of this bundle."""
        aad = self._entry_aad(entry)
        nonce = self._nonce(aad, plaintext)
        ciphertext = ChaCha20Poly1305(self.key).encrypt(nonce, plaintext, aad)
        doc = {
            "format": SEALED_FORMAT,
            "version": 1,
            "sender": self.sender,
            "recipient": self.recipient,
            "bundle": self.bundle,
            "entry": entry,
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(ciphertext).decode(),
        }
        return (json.dumps(doc, indent=1) + "\n").encode()

    def open(self, sealed: Sealed, where: str) -> bytes:
        if (sealed.sender, sealed.recipient, sealed.bundle) != (
            self.sender,
            self.recipient,
            self.bundle,
        ):
            raise SealError(f"{where}（{sealed.entry}）不属于这个文件夹文件，未导入")
        try:
            aad = self._entry_aad(sealed.entry)
            return ChaCha20Poly1305(self.key).decrypt(sealed.nonce, sealed.ciphertext, aad)
        except InvalidTag:
            raise SealError(
                f"{where}（{sealed.entry}）解密失败：内容被改动、被换成别的文件，或不是加密给本单位的，"
                "未导入"
            ) from None

    def _record_aad(self, entry: str, index: int, final: bool) -> bytes:
        return b"\0".join(
            [b"record", self.bundle.encode(), entry.encode(), str(index).encode(), b"%d" % final]
        )

    def seal_record(self, entry: str, index: int, final: bool, data: bytes) -> bytes:
        """One record of a sealed blob file: length, nonce, ciphertext and tag."""
        aad = self._record_aad(entry, index, final)
        nonce = self._nonce(aad, data)
        body = ChaCha20Poly1305(self.key).encrypt(nonce, data, aad)
        return _RECORD_HEAD.pack(len(data), nonce) + body

    def open_records(self, path: Path, entry: str, size: int) -> Iterator[bytes]:
        """The plaintext of a sealed blob file record by record; SealError naming the file
        and the entry when a record is damaged, moved, missing or the file is cut short."""
        where = str(path) if path.as_posix().endswith(entry) else f"{path}（{entry}）"
        done = 0
        with path.open("rb") as f:
            for index, (length, nonce, body) in enumerate(_records(f, where)):
                final = done + length == size
                try:
                    yield ChaCha20Poly1305(self.key).decrypt(
                        nonce, body, self._record_aad(entry, index, final)
                    )
                except InvalidTag:
                    raise SealError(
                        f"{where} 第 {index + 1} 段解密失败：内容被改动、顺序被打乱或不是这个批次的，"
                        "未导入"
                    ) from None
                done += length
                if final:
                    if f.read(1):
                        raise SealError(f"{where} 末尾有多余的数据，未导入")
                    return
        raise SealError(f"{where} 不完整：只有 {done} 字节，应为 {size} 字节（复制中断？），未导入")


def _records(f: BinaryIO, where: str) -> Iterator[tuple[int, bytes, bytes]]:
    while head := f.read(_RECORD_HEAD.size):
        if len(head) < _RECORD_HEAD.size:
            raise SealError(f"{where} 不完整（复制中断？），未导入")
        length, nonce = _RECORD_HEAD.unpack(head)
        body = f.read(length + TAG)
        if len(body) < length + TAG:
            raise SealError(f"{where} 不完整（复制中断？），未导入")
        yield length, nonce, body


def scan_records(path: Path) -> tuple[int, int, int]:
    """(plaintext bytes, records, file bytes) of the whole records at the start of a sealed
    blob file being written; a record cut short by a crash is not counted."""
    plain = count = pos = 0
    if not path.is_file():
        return 0, 0, 0
    end = path.stat().st_size
    with path.open("rb") as f:
        while pos + _RECORD_HEAD.size <= end:
            f.seek(pos)
            length, _ = _RECORD_HEAD.unpack(f.read(_RECORD_HEAD.size))
            step = _RECORD_HEAD.size + length + TAG
            if pos + step > end:
                break
            plain, count, pos = plain + length, count + 1, pos + step
    return plain, count, pos


@dataclass(frozen=True)
class Sealed:
    """A parsed sealed entry (not yet opened)."""

    sender: str
    recipient: str
    bundle: str
    entry: str
    nonce: bytes
    ciphertext: bytes


def parse_sealed(raw: bytes, where: str) -> Sealed | None:
    """The sealed entry in `raw`, or None when `raw` is not sealed (a plain JSON entry)."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("format") != SEALED_FORMAT:
        return None
    try:
        return Sealed(
            sender=str(doc["sender"]),
            recipient=str(doc["recipient"]),
            bundle=str(doc["bundle"]),
            entry=str(doc["entry"]),
            nonce=base64.b64decode(doc["nonce"], validate=True),
            ciphertext=base64.b64decode(doc["ciphertext"], validate=True),
        )
    except (KeyError, TypeError, ValueError):
        raise SealError(f"{where}：加密文件的格式无法解析，未导入") from None
