"""Tables of the office database (schema v1: offices, reviewers, applications, revisions, blobs)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from zcreview.storage.clock import utcnow as utcnow  # re-exported: most callers take it here


class SchemaVersion(SQLModel, table=True):
    """The schema version this database is at; one row per applied migration."""

    __tablename__ = "schema_version"
    version: int = Field(primary_key=True)
    applied_at: datetime = Field(default_factory=utcnow)


class OfficeRow(SQLModel, table=True):
    """This office (exactly one row with is_self) and the offices it knows (upper, lower)."""

    __tablename__ = "office"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    credit_code: str = Field(index=True)
    office_type: str  # 用人单位 / 主管部门 / 人社局 / 呈报部门 / 评委会办事机构
    office_level: str  # 区县 / 市直 / 省直
    region: str = ""
    is_self: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class ReviewerRow(SQLModel, table=True):
    """A named, full-time reviewer (实名制审核人员, 004 §4 提示1)."""

    __tablename__ = "reviewer"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    id_number: str = ""
    phone: str = ""
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class ApplicationRow(SQLModel, table=True):
    """One application at this office: queue columns denormalised from the head revision."""

    __tablename__ = "application"
    __table_args__ = (
        Index("ix_application_queue", "year", "level", "series", "state"),
        Index("ix_application_state", "state"),
        # The default sort (submitted_on, id) within the common scopes, so a page is an index
        # range scan instead of a sort of every matching row.
        Index("ix_application_sub", "submitted_on", "id"),
        Index("ix_application_scope_sub", "year", "level", "series", "submitted_on", "id"),
        Index("ix_application_state_sub", "state", "submitted_on", "id"),
    )
    id: str = Field(primary_key=True, max_length=36)  # application_id (UUID text)
    year: int
    level: str
    series: str
    title: str
    name: str = Field(index=True)
    unit: str = Field(index=True)
    id_number: str = Field(index=True)
    submitted_on: date | None = None
    state: str
    holder: str | None = None  # reviewer holding the claim
    lease_until: datetime | None = None
    head_revision: str = Field(max_length=64)
    revision_count: int = 1
    n_ok: int = 0
    n_warn: int = 0
    n_fail: int = 0
    deadline: date | None = None
    version: int = 1  # optimistic concurrency
    updated_at: datetime = Field(default_factory=utcnow)


class RevisionRow(SQLModel, table=True):
    """An immutable revision: the canonical application JSON, keyed by its SHA-256."""

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("application_id", "revision"),)
    id: int | None = Field(default=None, primary_key=True)
    application_id: str = Field(index=True, max_length=36)
    revision: str = Field(max_length=64)
    number: int
    supersedes: str | None = Field(default=None, max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    source: str = ""
    package_digest: str = Field(default="", index=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class AttachmentRow(SQLModel, table=True):
    """An attachment of a revision: where it sits in the record and which blob holds it."""

    __tablename__ = "attachment"
    id: int | None = Field(default=None, primary_key=True)
    revision_id: int = Field(index=True, foreign_key="revision.id")
    field_path: str
    name: str
    sha256: str = Field(index=True, max_length=64)
    size: int
    mime: str


class BlobRow(SQLModel, table=True):
    """A content-addressed file known to the blob store."""

    __tablename__ = "blob"
    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    mime: str
    created_at: datetime = Field(default_factory=utcnow)


class SettingRow(SQLModel, table=True):
    """Small key/value facts the office database keeps (office home, sync cursors …)."""

    __tablename__ = "setting"
    key: str = Field(primary_key=True)
    value: str = Field(sa_column=Column(Text, nullable=False))


V1_TABLES = [
    SchemaVersion,
    OfficeRow,
    ReviewerRow,
    ApplicationRow,
    RevisionRow,
    AttachmentRow,
    BlobRow,
    SettingRow,
]
