"""The bundle hub: the hub's rules over this office's own database, for offices that exchange
folder bundles with it, and where each lower office's bundles come from.

Whatever transport an office reports upward with, bundles from below are committed here, so
paths, UNIQUE(application_id, revision), supersedes and receipts follow the same rules as over
HTTP, and answers (receipts, path decisions, returns) go back by the folder the office used.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Final

from sqlmodel import Session, col, select

from zcreview.storage.office import get_self
from zcreview.storage.store import Store
from zcreview.storage.sync_tables import (
    BundleKey,
    BundleOrigin,
    HubCounter,
    HubDelivery,
    HubOffice,
    HubPath,
)
from zcreview.storage.tables import utcnow
from zcreview.sync.bundle_files import BundleError
from zcreview.sync.bundle_trust import identity
from zcreview.sync.hubcore import SEQ, Hub, HubError, token_hash
from zcreview.sync.protocol import OfficeInfo

BUNDLE_SEQ_BASE: Final = 10**12
"""The bundle hub in an office database numbers from here, so its deliveries never share a
sequence number (the primary key of sync_inbox) with deliveries from an HTTP hub."""
INBOX_CURSOR: Final = "bundle-inbox"


def came_by_bundle(seq: int) -> bool:
    """Whether an inbox entry or return with this sequence number came through the bundle hub."""
    return seq >= BUNDLE_SEQ_BASE


def hub_office(s: Session, info: OfficeInfo) -> HubOffice:
    """The bundle hub's row of an office (added on first sight); not committed."""
    row = s.exec(select(HubOffice).where(HubOffice.credit_code == info.credit_code)).first()
    if row is None:
        # Nobody logs in to the bundle hub; the token is random and never shown.
        row = HubOffice(
            name=info.name,
            credit_code=info.credit_code,
            office_type=info.office_type,
            office_level=info.office_level,
            token_hash=token_hash(secrets.token_urlsafe(32)),
        )
    row.name = info.name
    s.add(row)
    return row


def local_hub(store: Store) -> tuple[Hub, HubOffice]:
    """The hub rules over this office's own database, and this office's row in it."""
    me = identity(store)
    with store.session() as s:
        if s.get(HubCounter, SEQ) is None:
            s.add(HubCounter(name=SEQ, value=BUNDLE_SEQ_BASE))
        row = hub_office(s, me)
        s.commit()
        s.refresh(row)
    hub = Hub(store.engine, store.home / "bundle-hub", isolate_offices=False)
    hub.blobs = store.blobs  # imported attachments land in the office's own blob store
    return hub, row


def bundle_hub_if_any(store: Store) -> tuple[Hub, HubOffice] | None:
    """The bundle hub when it can hold anything: the office is initialised and trusts another
    office's key (bundles come only from trusted offices)."""
    with store.session() as s:
        if get_self(session=s) is None or s.exec(select(BundleKey.credit_code)).first() is None:
            return None
    return local_hub(store)


def hub_row(store: Store, code: str) -> HubOffice:
    """The bundle hub's row of a trusted office (trust adds it)."""
    with store.session() as s:
        row = s.exec(select(HubOffice).where(HubOffice.credit_code == code)).first()
    if row is None:
        raise BundleError(f"单位 {code} 的公钥尚未信任")
    return row


def refusal(exc: HubError) -> BundleError:
    """The hub's refusal as a bundle error (its Chinese half)."""
    return BundleError(exc.message.split(" / ")[0])


# ---------------------------------------------------------------- origins


def record_origin(store: Store, office: OfficeInfo, folder: Path) -> None:
    """Remember the exchange folder a lower office's bundle came from: answers go there."""
    with store.session() as s:
        row = s.get(BundleOrigin, office.credit_code) or BundleOrigin(
            credit_code=office.credit_code, name=office.name, folder=str(folder)
        )
        row.name, row.folder, row.seen_at = office.name, str(folder.resolve()), utcnow()
        s.add(row)
        s.commit()


def origins(store: Store) -> dict[str, BundleOrigin]:
    """Every lower office that sent bundles, by credit code."""
    with store.session() as s:
        return {r.credit_code: r for r in s.exec(select(BundleOrigin)).all()}


def path_in_bundle_hub(store: Store, path_id: str) -> HubPath | None:
    """A path request that came by bundle (held by the bundle hub), or None."""
    with store.session() as s:
        return s.get(HubPath, path_id)


def bundle_sender_of(store: Store, application_id: str, revision: str) -> str | None:
    """The credit code of the office whose bundle brought this revision here, or None when it
    did not come by bundle (then it came from the HTTP hub)."""
    with store.session() as s:
        row = s.exec(
            select(HubOffice.credit_code)
            .join(HubDelivery, col(HubDelivery.from_office_id) == col(HubOffice.id))
            .where(
                HubDelivery.application_id == application_id,
                HubDelivery.revision == revision,
                col(HubDelivery.seq) >= BUNDLE_SEQ_BASE,
            )
            .order_by(col(HubDelivery.seq).desc())
        ).first()
    return row
