"""Schema 19 on a database written before it: trusted keys gain an encryption-key column, paths
their transport, and the origins of bundles a table; rows already there keep their values."""

from __future__ import annotations

from sqlalchemy import inspect, text

from zcreview.storage.migrations import migrate
from zcreview.storage.store import Store
from zcreview.storage.sync_tables import BundleKey, BundleOrigin, SyncPath


def test_schema_19_upgrades_an_older_database(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE sync_bundle_key DROP COLUMN enc_key"))
        conn.execute(text("ALTER TABLE sync_path DROP COLUMN via"))
        conn.execute(text("DROP TABLE sync_bundle_origin"))
        conn.execute(text("DELETE FROM schema_version WHERE version = 19"))
        conn.execute(
            text(
                "INSERT INTO sync_bundle_key (credit_code, name, public_key, trusted_at) "
                "VALUES ('91370102A10000015T', '威海某电子有限公司', 'AAAA', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO sync_path (path_id, role, lower_name, lower_code, upper_name, "
                "upper_code, series, level, year, state, reason, updated_at) VALUES "
                "('p1', 'upper', '甲', 'a', '乙', 'b', '工程技术', '中级', 2025, 'pending', '', "
                "CURRENT_TIMESTAMP)"
            )
        )
    with store.engine.connect() as conn:
        assert "enc_key" not in {c["name"] for c in inspect(conn).get_columns("sync_bundle_key")}
    migrate(store.engine)
    migrate(store.engine)  # once only
    with store.session() as s:
        key = s.get(BundleKey, "91370102A10000015T")
        path = s.get(SyncPath, "p1")
        assert key is not None and key.enc_key is None and key.name == "威海某电子有限公司"
        assert path is not None and path.via == "" and path.state == "pending"
        s.add(BundleOrigin(credit_code="a", name="甲", folder="/media/usb/zcreview"))
        s.commit()
    with store.engine.connect() as conn:
        versions = conn.execute(text("SELECT version FROM schema_version")).scalars().all()
    assert versions.count(19) == 1
