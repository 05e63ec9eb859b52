"""Office keys for folder bundles: an Ed25519 key per office, key files, signatures over files.

A key file carries the signing key and (version 2) the X25519 key bundles are encrypted to."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zcreview.sync.sealing import create_key_file, public_key_bytes
from zcreview.sync.transport import SyncError

KEY_FORMAT: Final = "zcreview-office-key"
SIGNATURE_FORMAT: Final = "zcreview-signature"
PRIVATE_KEY_FILE: Final = Path("keys") / "office-ed25519.pem"
_DOMAIN: Final = b"zcreview-bundle-v1"


class SignatureError(SyncError):
    """A signature or key file that cannot be trusted; the message names the file."""


@dataclass(frozen=True)
class PublicKeyFile:
    """What `zcreview bundle key export` writes: who the office is and its public key."""

    name: str
    credit_code: str
    public_key: str  # base64 of the 32 raw bytes
    encryption_key: str | None = None
    """The X25519 key bundles to this office are encrypted to (version 2 key files)."""

    def dumps(self) -> str:
        data: dict[str, object] = {
            "format": KEY_FORMAT,
            "version": 1 if self.encryption_key is None else 2,
            "name": self.name,
            "credit_code": self.credit_code,
            "public_key": self.public_key,
            "fingerprint": fingerprint(self.public_key),
        }
        if self.encryption_key is not None:
            data["encryption_key"] = self.encryption_key
            data["encryption_fingerprint"] = fingerprint(self.encryption_key)
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def loads(cls, text: str, where: str) -> PublicKeyFile:
        try:
            data = json.loads(text)
            if data.get("format") != KEY_FORMAT:
                raise ValueError
            enc = data.get("encryption_key")
            key = cls(
                str(data["name"]),
                str(data["credit_code"]),
                str(data["public_key"]),
                None if enc is None else str(enc),
            )
            _public(key.public_key)
            if key.encryption_key is not None:
                public_key_bytes(key.encryption_key)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SignatureError(f"{where} 不是 zcreview 单位公钥文件") from None
        return key


def fingerprint(public_key: str) -> str:
    """Short, readable form of a key for comparing over the phone: 16 hex digits in groups."""
    digest = hashlib.sha256(base64.b64decode(public_key)).hexdigest()[:16]
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


def _public(b64: str) -> Ed25519PublicKey:
    raw = base64.b64decode(b64, validate=True)
    if len(raw) != 32:
        raise ValueError("Ed25519 public keys are 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


class OfficeKey:
    """This office's private key, kept in its home (0600) and generated on first use."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private

    @classmethod
    def load_or_create(cls, home: Path) -> OfficeKey:
        path = home / PRIVATE_KEY_FILE
        if path.is_file():
            try:
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except ValueError:
                raise SignatureError(f"私钥文件 {path} 已损坏") from None
            if not isinstance(key, Ed25519PrivateKey):
                raise SignatureError(f"私钥文件 {path} 不是 Ed25519 密钥")
            return cls(key)
        create_key_file(path, Ed25519PrivateKey.generate())
        return cls.load_or_create(home)

    @property
    def public_key(self) -> str:
        raw = self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return base64.b64encode(raw).decode()

    def sign(self, kind: str, signer: str, name: str, file: str, data: bytes) -> bytes:
        """A signature document (JSON bytes) over `data`, bound to its kind and signer."""
        sha = hashlib.sha256(data).hexdigest()
        signature = self._private.sign(_message(kind, signer, sha))
        doc = {
            "format": SIGNATURE_FORMAT,
            "kind": kind,
            "signer": signer,
            "name": name,
            "file": file,
            "sha256": sha,
            "key": fingerprint(self.public_key),
            "signature": base64.b64encode(signature).decode(),
        }
        return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()


def _message(kind: str, signer: str, sha: str) -> bytes:
    # The kind and signer are signed too, so a receipt cannot be passed off as a manifest and
    # one office's signature cannot be relabelled as another's.
    return b"\0".join([_DOMAIN, kind.encode(), signer.encode(), sha.encode()])


@dataclass(frozen=True)
class Signed:
    """A parsed signature document (not yet verified)."""

    kind: str
    signer: str
    name: str
    sha256: str
    signature: bytes


def read_signature(raw: bytes, where: str) -> Signed:
    try:
        doc = json.loads(raw)
        if doc.get("format") != SIGNATURE_FORMAT:
            raise ValueError
        return Signed(
            kind=str(doc["kind"]),
            signer=str(doc["signer"]),
            name=str(doc.get("name", "")),
            sha256=str(doc["sha256"]),
            signature=base64.b64decode(doc["signature"], validate=True),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SignatureError(f"签名文件 {where} 无法解析") from None


def verify(signed: Signed, public_key: str, kind: str, data: bytes, where: str) -> None:
    """Raise SignatureError unless `signed` is `public_key`'s signature of `data` as `kind`."""
    if signed.kind != kind:
        raise SignatureError(f"{where}：签名用途为 {signed.kind}，不是 {kind}")
    sha = hashlib.sha256(data).hexdigest()
    if sha != signed.sha256:
        raise SignatureError(f"{where}：内容与签名不符（文件被改动或不完整）")
    try:
        _public(public_key).verify(signed.signature, _message(kind, signed.signer, sha))
    except (InvalidSignature, ValueError):
        raise SignatureError(
            f"{where}：签名无效（不是已信任的 {signed.name or signed.signer} 的密钥签的）"
        ) from None
