"""Sync tables: the hub's offices, paths, batches, uploads, deliveries and returns; the office outbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Text, UniqueConstraint, inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import Field, SQLModel

from zcreview.storage.migrations import Migration, create_tables, register
from zcreview.storage.tables import utcnow

# ---------------------------------------------------------------- hub side (schema v10)


class HubOffice(SQLModel, table=True):
    """An office registered at the hub. Only the SHA-256 of its token is kept."""

    __tablename__ = "hub_office"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    credit_code: str = Field(unique=True, max_length=32)
    office_type: str = ""
    office_level: str = ""
    token_hash: str = Field(unique=True, max_length=64)
    inbox_ack: int = Field(default=0, sa_type=BigInteger)
    returns_ack: int = Field(default=0, sa_type=BigInteger)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class HubPath(SQLModel, table=True):
    """A 路径 (lower → upper for one series and level), keyed by the id the requester chose."""

    __tablename__ = "hub_path"
    __table_args__ = (Index("ix_hub_path_edge", "lower_id", "upper_id", "series", "level"),)
    path_id: str = Field(primary_key=True, max_length=36)
    lower_id: int = Field(index=True)
    upper_id: int = Field(index=True)
    series: str
    level: str
    year: int
    state: str  # pending / approved / rejected
    reason: str = ""
    requested_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None


class HubBatch(SQLModel, table=True):
    """An offered batch, bound to the office whose token offered it; the receipt once committed."""

    __tablename__ = "hub_batch"
    batch_id: str = Field(primary_key=True, max_length=36)
    office_id: int = Field(index=True)
    to_office_id: int
    manifest_hash: str = Field(max_length=64)
    manifest: str = Field(sa_column=Column(Text, nullable=False))
    state: str = "offered"  # offered / committed
    receipt: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    committed_at: datetime | None = None


class HubRevision(SQLModel, table=True):
    """An application revision the hub holds: the canonical JSON, stored once."""

    __tablename__ = "hub_revision"
    __table_args__ = (UniqueConstraint("application_id", "revision"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=36)
    revision: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class HubBlobRef(SQLModel, table=True):
    """Which blobs a revision names; decides who may download a blob."""

    __tablename__ = "hub_blob_ref"
    __table_args__ = (UniqueConstraint("application_id", "revision", "sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(max_length=36)
    revision: str = Field(max_length=64)
    sha256: str = Field(index=True, max_length=64)


class HubDelivery(SQLModel, table=True):
    """One revision reported from one office to the next: an inbox entry, ordered by hub seq.

    Unique per receiving office, because the same revision legitimately travels up several hops.
    """

    __tablename__ = "hub_delivery"
    __table_args__ = (
        UniqueConstraint("application_id", "revision", "to_office_id"),
        Index("ix_hub_delivery_inbox", "to_office_id", "seq"),
        Index("ix_hub_delivery_head", "application_id", "to_office_id"),
    )
    seq: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    application_id: str = Field(max_length=36)
    revision: str = Field(max_length=64)
    supersedes: str | None = Field(default=None, max_length=64)
    from_office_id: int
    to_office_id: int
    batch_id: str = Field(max_length=36)
    series: str
    level: str
    year: int
    blobs: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of BlobRef
    created_at: datetime = Field(default_factory=utcnow)


class HubReturn(SQLModel, table=True):
    """A return sent down by an upper office, keyed by the id it chose."""

    __tablename__ = "hub_return"
    __table_args__ = (Index("ix_hub_return_lower", "to_office_id", "seq"),)
    return_id: str = Field(primary_key=True, max_length=36)
    seq: int = Field(unique=True, sa_type=BigInteger)
    application_id: str = Field(max_length=36)
    revision: str = Field(max_length=64)
    from_office_id: int
    to_office_id: int
    request_hash: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))  # the ReturnRequest JSON
    created_at: datetime = Field(default_factory=utcnow)


class HubCounter(SQLModel, table=True):
    """The hub sequence: one row, locked by each writer so cursors never skip a late commit."""

    __tablename__ = "hub_counter"
    name: str = Field(primary_key=True, max_length=32)
    value: int = Field(default=0, sa_type=BigInteger)


class HubAuditHead(SQLModel, table=True):
    """The newest audit chain head each office sent (schema v13): kept outside the office's
    database, so a chain rolled back or rewritten there disagrees with it."""

    __tablename__ = "hub_audit_head"
    office_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(sa_type=BigInteger)
    hash: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


HUB_TABLES: list[type[SQLModel]] = [
    HubOffice,
    HubPath,
    HubBatch,
    HubRevision,
    HubBlobRef,
    HubDelivery,
    HubReturn,
    HubCounter,
]

# ---------------------------------------------------------------- office side (schema v11)


class OutboxBatch(SQLModel, table=True):
    """A sealed 数据上报 batch and how far it has travelled (sync.md, Outbox)."""

    __tablename__ = "outbox_batch"
    batch_id: str = Field(primary_key=True, max_length=36)
    # sealed / offered / uploading / committing / acknowledged / partly_rejected
    state: str = Field(index=True)
    to_code: str
    to_name: str
    year: int
    level: str
    series: str
    reviewer: str
    manifest: str = Field(sa_column=Column(Text, nullable=False))
    manifest_hash: str = Field(max_length=64)
    bytes_total: int = Field(default=0, sa_type=BigInteger)
    bytes_sent: int = Field(default=0, sa_type=BigInteger)
    receipt: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_error: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class OutboxItem(SQLModel, table=True):
    """One application of an outbox batch and its outcome once the receipt is stored."""

    __tablename__ = "outbox_item"
    __table_args__ = (UniqueConstraint("batch_id", "application_id"),)
    id: int | None = Field(default=None, primary_key=True)
    batch_id: str = Field(index=True, max_length=36)
    application_id: str = Field(index=True, max_length=36)
    revision: str = Field(max_length=64)
    supersedes: str | None = Field(default=None, max_length=64)
    outcome: str = "pending"  # pending / accepted / rejected
    reasons: str = Field(default="[]", sa_column=Column(Text, nullable=False))  # JSON list
    seq: int | None = Field(default=None, sa_type=BigInteger)


class SyncPath(SQLModel, table=True):
    """This office's mirror of the paths it requested (role lower) or must decide (role upper)."""

    __tablename__ = "sync_path"
    path_id: str = Field(primary_key=True, max_length=36)
    role: str  # lower / upper
    lower_name: str
    lower_code: str
    upper_name: str
    upper_code: str
    series: str
    level: str
    year: int
    state: str  # pending / approved / rejected
    reason: str = ""
    updated_at: datetime = Field(default_factory=utcnow)
    via: str = Field(default="", max_length=16)
    """How the path travels: "http" (the hub) or "folder" (bundles); "" before schema v19."""


class SyncCursor(SQLModel, table=True):
    """How far this office has applied a hub feed (inbox, returns), in hub sequence numbers."""

    __tablename__ = "sync_cursor"
    name: str = Field(primary_key=True, max_length=32)
    value: int = Field(default=0, sa_type=BigInteger)


class InboxEntry(SQLModel, table=True):
    """An application reported to this office from below, as received (metadata only)."""

    __tablename__ = "sync_inbox"
    __table_args__ = (Index("ix_sync_inbox_app", "application_id", "revision"),)
    seq: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    application_id: str = Field(max_length=36)
    revision: str = Field(max_length=64)
    supersedes: str | None = Field(default=None, max_length=64)
    batch_id: str = Field(max_length=36)
    from_name: str
    from_code: str
    series: str
    level: str
    year: int
    blobs: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of BlobRef
    received_at: datetime = Field(default_factory=utcnow)


class ReturnReceived(SQLModel, table=True):
    """A return from the upper office with its one-shot correction list (applied once)."""

    __tablename__ = "sync_return_in"
    return_id: str = Field(primary_key=True, max_length=36)
    seq: int = Field(sa_type=BigInteger)
    application_id: str = Field(index=True, max_length=36)
    revision: str = Field(max_length=64)
    corrections: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of Correction
    deadline: date
    message: str = ""
    from_name: str
    from_code: str
    applied: bool = False
    note: str = ""
    received_at: datetime = Field(default_factory=utcnow)


class ReturnSent(SQLModel, table=True):
    """A return this office sends down; queued until the hub has acknowledged it."""

    __tablename__ = "sync_return_out"
    return_id: str = Field(primary_key=True, max_length=36)
    application_id: str = Field(index=True, max_length=36)
    revision: str = Field(max_length=64)
    to_name: str
    to_code: str
    corrections: str = Field(sa_column=Column(Text, nullable=False))
    deadline: date
    message: str = ""
    reviewer: str = ""
    state: str = Field(default="pending", index=True)  # pending / sent
    seq: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


OFFICE_TABLES: list[type[SQLModel]] = [
    OutboxBatch,
    OutboxItem,
    SyncPath,
    SyncCursor,
    InboxEntry,
    ReturnReceived,
    ReturnSent,
]

register(
    Migration(
        10, "hub: offices, paths, batches, uploads, deliveries, returns", create_tables(*HUB_TABLES)
    )
)
register(
    Migration(
        11, "office sync: outbox, paths, cursors, inbox, returns", create_tables(*OFFICE_TABLES)
    )
)

# ---------------------------------------------------------------- folder bundles (schema v12)


class BundleKey(SQLModel, table=True):
    """A trusted office's Ed25519 public key: bundles signed by it may be imported here."""

    __tablename__ = "sync_bundle_key"
    credit_code: str = Field(primary_key=True, max_length=32)
    name: str
    public_key: str = Field(max_length=64)  # base64 of the 32 raw bytes
    trusted_at: datetime = Field(default_factory=utcnow)
    enc_key: str | None = Field(default=None, max_length=64)
    """Its X25519 public key (base64): bundles to it are encrypted to this (schema v19)."""


class BundleSent(SQLModel, table=True):
    """A batch this office wrote as a folder bundle (its blobs reach the receiver with it)."""

    __tablename__ = "sync_bundle_sent"
    batch_id: str = Field(primary_key=True, max_length=36)
    to_code: str = Field(index=True, max_length=32)
    folder: str
    written_at: datetime = Field(default_factory=utcnow)


register(
    Migration(
        12,
        "folder bundles: trusted office keys, bundles written",
        create_tables(BundleKey, BundleSent),
    )
)

# ---------------------------------------------------------------- transports per direction (v19)


class BundleOrigin(SQLModel, table=True):
    """The exchange folder a lower office's bundles last came from: where answers to it go."""

    __tablename__ = "sync_bundle_origin"
    credit_code: str = Field(primary_key=True, max_length=32)
    name: str
    folder: str
    seen_at: datetime = Field(default_factory=utcnow)


def _per_direction(conn: Connection) -> None:
    """Encryption keys of trusted offices, the transport of each path, bundle origins."""
    columns = {c["name"] for c in inspect(conn).get_columns("sync_bundle_key")}
    if "enc_key" not in columns:
        conn.execute(text("ALTER TABLE sync_bundle_key ADD COLUMN enc_key VARCHAR(64)"))
    columns = {c["name"] for c in inspect(conn).get_columns("sync_path")}
    if "via" not in columns:
        conn.execute(text("ALTER TABLE sync_path ADD COLUMN via VARCHAR(16) NOT NULL DEFAULT ''"))
    create_tables(BundleOrigin)(conn)


register(
    Migration(
        19, "bundles: encryption keys, transport of each path, bundle origins", _per_direction
    )
)

# ---------------------------------------------------------------- hub isolation (schema v14)


class HubOfficeBlob(SQLModel, table=True):
    """One office's declaration and upload of one blob; `owned` once that office sent it whole.

    Keyed (blob, office): partial uploads never mix between offices, and a blob counts as an
    office's own only after that office itself uploaded bytes that hash to it, whoever else
    holds the same file (content-addressed storage keeps one copy).
    """

    __tablename__ = "hub_office_blob"
    blob_id: str = Field(primary_key=True, max_length=64)
    office_id: int = Field(primary_key=True)
    size: int = Field(sa_type=BigInteger)
    mime: str = ""
    offset: int = Field(default=0, sa_type=BigInteger)
    owned: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


def _per_office_blobs(conn: Connection) -> None:
    """Create the per-office table; blobs an office already delivered count as its own.

    Uploads still in flight in the old per-blob table are dropped: their offices start them
    again from byte 0 (the hub cannot tell which office sent those bytes).
    """
    create_tables(HubOfficeBlob)(conn)
    if not inspect(conn).has_table("hub_upload"):
        return
    conn.execute(
        text(
            'INSERT INTO hub_office_blob (blob_id, office_id, size, mime, "offset", owned, '
            "updated_at) "
            "SELECT r.sha256, d.from_office_id, MAX(u.size), MAX(u.mime), MAX(u.size), TRUE, "
            "CURRENT_TIMESTAMP "
            "FROM hub_delivery d JOIN hub_blob_ref r "
            "ON r.application_id = d.application_id AND r.revision = d.revision "
            "JOIN hub_upload u ON u.blob_id = r.sha256 "
            "GROUP BY r.sha256, d.from_office_id"
        )
    )
    conn.execute(text("DROP TABLE hub_upload"))


register(Migration(14, "hub: blobs and uploads per office", _per_office_blobs))
