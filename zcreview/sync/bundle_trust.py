"""Who signs and who may read folder bundles: this office's keys, trusted offices, and the
signed (and, where they carry personal data, encrypted) files of an exchange folder."""

from __future__ import annotations

import json
from pathlib import Path

from zcreview.storage.office import get_self
from zcreview.storage.store import Store
from zcreview.storage.sync_tables import BundleKey
from zcreview.storage.tables import utcnow
from zcreview.sync.bundle_files import BundleError, write_atomic
from zcreview.sync.protocol import OfficeInfo
from zcreview.sync.sealing import BundleCipher, SealError, SealKey, parse_sealed
from zcreview.sync.signing import OfficeKey, PublicKeyFile, SignatureError, read_signature, verify


def identity(store: Store) -> OfficeInfo:
    """This office as bundles name it; BundleError before `zcreview init`."""
    with store.session() as s:
        row = get_self(session=s)
    if row is None:
        raise BundleError("本单位尚未初始化（zcreview init），无法签名或导入")
    return OfficeInfo(
        name=row.name,
        credit_code=row.credit_code,
        office_type=row.office_type,
        office_level=row.office_level,
    )


def export_key(store: Store) -> PublicKeyFile:
    """This office's public key file: the signing key and the key bundles to it are encrypted
    to (both private keys are made on first need, 0600 in the office home)."""
    me = identity(store)
    return PublicKeyFile(
        me.name,
        me.credit_code,
        OfficeKey.load_or_create(store.home).public_key,
        SealKey.load_or_create(store.home).public_key,
    )


def trust(store: Store, name: str, key: PublicKeyFile) -> BundleKey:
    """Record another office's public keys; `name` must be its name or credit code as a check."""
    from zcreview.sync.bundle_hub import hub_office  # the bundle hub knows every trusted office

    if name not in (key.name, key.credit_code):
        raise BundleError(f"公钥文件属于“{key.name}”（{key.credit_code}），不是“{name}”")
    if key.credit_code == identity(store).credit_code:
        raise BundleError("这是本单位自己的公钥")
    with store.session() as s:
        row = s.get(BundleKey, key.credit_code) or BundleKey(
            credit_code=key.credit_code, name=key.name, public_key=key.public_key
        )
        row.name, row.public_key, row.trusted_at = key.name, key.public_key, utcnow()
        # An older key file (no encryption key) never takes a known one away: that would let
        # bundles to this office go out in clear again.
        row.enc_key = key.encryption_key or row.enc_key
        s.add(row)
        hub_office(s, OfficeInfo(name=key.name, credit_code=key.credit_code))
        s.commit()
        s.refresh(row)
        return row


def trusted(store: Store, code: str, who: str, where: Path) -> BundleKey:
    """The trusted key row of the office `code`; BundleError naming `where` when untrusted."""
    with store.session() as s:
        row = s.get(BundleKey, code)
    if row is None:
        raise BundleError(
            f"{where}：由未信任的单位 {who}（{code}）签名。请核对对方的公钥后运行 "
            f"zcreview bundle trust {who} 公钥文件"
        )
    return row


# ---------------------------------------------------------------- encryption


def cipher_to(store: Store, recipient: str, bundle: str) -> BundleCipher:
    """The key of a bundle this office writes for `recipient`; BundleError when this office
    does not hold the recipient's encryption key (personal data never leaves in clear)."""
    with store.session() as s:
        row = s.get(BundleKey, recipient)
    if row is None or row.enc_key is None:
        who = row.name if row is not None else recipient
        raise BundleError(
            f"没有 {who} 的加密公钥，不能把申报资料写进文件夹：请对方运行 zcreview bundle key "
            f"export 导出新的公钥文件，本单位再运行 zcreview bundle trust {who} 公钥文件"
        )
    me = identity(store).credit_code
    return SealKey.load_or_create(store.home).bundle_key(row.enc_key, me, recipient, bundle)


def cipher_from(store: Store, sender: BundleKey, bundle: str, where: Path) -> BundleCipher:
    """The key of a bundle `sender` wrote for this office."""
    if sender.enc_key is None:
        raise BundleError(
            f"{where}：没有 {sender.name} 的加密公钥，无法解密。请对方导出新的公钥文件，"
            f"本单位再运行 zcreview bundle trust {sender.name} 公钥文件"
        )
    me = identity(store).credit_code
    try:
        return SealKey.load(store.home).bundle_key(sender.enc_key, sender.credit_code, me, bundle)
    except SealError as exc:
        raise BundleError(str(exc)) from None


def own_cipher(store: Store, recipient: str, bundle: str) -> BundleCipher | None:
    """The key of a bundle this office wrote for `recipient` (to read it back), if any."""
    try:
        return cipher_to(store, recipient, bundle)
    except BundleError:
        return None


# ---------------------------------------------------------------- signed files


def sign_and_write(
    store: Store,
    folder: Path,
    file: str,
    sig_file: str,
    kind: str,
    data: bytes,
    *,
    seal_to: str | None = None,
) -> None:
    """The content (encrypted to `seal_to` when given), then its signature over the bytes as
    written: a bundle without the signature is incomplete."""
    me = identity(store)
    if seal_to is not None:
        data = cipher_to(store, seal_to, folder.name).seal(file, data)
    key = OfficeKey.load_or_create(store.home)
    write_atomic(folder / file, data)
    write_atomic(folder / sig_file, key.sign(kind, me.credit_code, me.name, file, data))


def read_signed(
    store: Store, folder: Path, file: str, sig_file: str, kind: str
) -> tuple[bytes, BundleKey]:
    """The verified bytes of `folder/file` as stored, and the signer's trusted key row."""
    for name in (file, sig_file):
        if not (folder / name).is_file():
            raise BundleError(f"{folder / name} 缺失：文件夹不完整（可能尚未复制完），未导入")
    data = (folder / file).read_bytes()
    try:
        signed = read_signature((folder / sig_file).read_bytes(), str(folder / sig_file))
        key = trusted(store, signed.signer, signed.name, folder / sig_file)
        verify(signed, key.public_key, kind, data, str(folder / file))
    except SignatureError as exc:
        raise BundleError(str(exc)) from None
    return data, key


def read_sealed(
    store: Store, folder: Path, file: str, sig_file: str, kind: str
) -> tuple[bytes, str, BundleCipher | None]:
    """The verified, decrypted content of `folder/file`, the signer, and the bundle's key.

    Refused (BundleError naming file and entry): an entry sealed to another office or moved
    from another bundle, a tampered entry, a missing key, and a plain entry from an office
    whose encryption key this office holds (its bundles are always sealed).
    """
    raw, sender = read_signed(store, folder, file, sig_file, kind)
    where = folder / file
    try:
        sealed = parse_sealed(raw, str(where))
        if sealed is None:
            if sender.enc_key is not None:
                raise BundleError(
                    f"{where} 未加密，但 {sender.name} 的文件夹文件应加密发送：拒绝导入"
                    "（可能被替换，或对方使用旧版程序）"
                )
            return raw, sender.credit_code, None
        me = identity(store).credit_code
        if sealed.recipient != me:
            raise BundleError(f"{where} 是加密给 {sealed.recipient} 的，不是本单位，未导入")
        if sealed.sender != sender.credit_code or sealed.entry != file:
            raise BundleError(f"{where}（{sealed.entry}）不属于这个文件夹文件，未导入")
        cipher = cipher_from(store, sender, folder.name, where)
        return cipher.open(sealed, str(where)), sender.credit_code, cipher
    except SealError as exc:
        raise BundleError(str(exc)) from None


def read_own(
    store: Store, folder: Path, file: str, recipient: str, *, sealed_only: bool = False
) -> bytes | None:
    """A file this office wrote into `folder` for `recipient`, decrypted; None if unreadable
    (or, with `sealed_only`, in clear: an older program's file, to be written again sealed)."""
    try:
        raw = (folder / file).read_bytes()
        sealed = parse_sealed(raw, str(folder / file))
        if sealed is None:
            return None if sealed_only else raw
        cipher = own_cipher(store, recipient, folder.name)
        return None if cipher is None else cipher.open(sealed, str(folder / file))
    except (OSError, SealError):
        return None


def signer_of(folder: Path, sig_file: str) -> str | None:
    """The credit code a signature file names (not verified), or None if unreadable."""
    try:
        raw = (folder / sig_file).read_bytes()
        return read_signature(raw, str(folder / sig_file)).signer
    except (OSError, SignatureError):
        return None


def addressed_to(path: Path, plain_key: tuple[str, ...]) -> str | None:
    """The office a bundle file is for: the recipient of a sealed entry, else the plain JSON
    field at `plain_key`; None when unreadable (import then says why, naming the file)."""
    try:
        raw = path.read_bytes()
        sealed = parse_sealed(raw, str(path))
        if sealed is not None:
            return sealed.recipient
        doc: object = json.loads(raw)
        for key in plain_key:
            doc = doc[key]  # type: ignore[index]
        return str(doc)
    except (OSError, ValueError, KeyError, TypeError, SealError):
        return None
