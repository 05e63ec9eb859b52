"""Revisions, idempotent recording and queue queries, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from tests.factories import make_application
from zcreview.configfiles import default_config
from zcreview.domain.checks import Severity, counts, run_all
from zcreview.domain.model import Application, iter_attachments
from zcreview.domain.workflow import State
from zcreview.storage import applications, queue
from zcreview.storage.store import Store


def stored(app: Application, store: Store) -> Application:
    """Put each attachment's (made-up) bytes in the blob store and fill its hash."""
    for path, ref in iter_attachments(app):
        data = f"{ref.file}:{path}".encode()
        ref.sha256 = store.blobs.put_bytes(data)
        ref.size, ref.mime = len(data), "application/pdf"
    return app


def add(store: Store, n: int, **overrides: object) -> list[str]:
    ids = []
    with store.session() as s:
        for i in range(n):
            app = stored(make_application(i, application_id=str(uuid.uuid4()), **overrides), store)
            ids.append(applications.record_revision(app, session=s).application_id)
        s.commit()
    return ids


def test_record_is_idempotent_and_counts_revisions(store: Store) -> None:
    app = stored(make_application(1), store)
    with store.session() as s:
        first = applications.record_revision(app, session=s)
        again = applications.record_revision(app, session=s)
        s.commit()
    assert (first.outcome, again.outcome) == ("new", "unchanged")
    changed = stored(make_application(1, basic__phone="13900000000"), store)
    with store.session() as s:
        second = applications.record_revision(changed, session=s)
        s.commit()
        row = applications.get_row(first.application_id, session=s)
        assert row is not None
        assert (second.outcome, second.number, row.revision_count) == ("revision", 2, 2)
        assert row.head_revision == changed.revision() != app.revision()
        loaded = applications.load_revision(first.application_id, session=s)
        old = applications.load_revision(first.application_id, app.revision(), session=s)
    assert loaded.basic.phone == "13900000000"
    assert old.basic.phone != "13900000000"


def test_new_revision_of_returned_application_is_resubmitted(store: Store) -> None:
    [app_id] = add(store, 1)
    with store.session() as s:
        row = applications.get_row(app_id, session=s)
        assert row is not None
        row.state = State.RETURNED.value
        s.add(row)
        s.commit()
        app = applications.load_revision(app_id, session=s)
    app.basic.phone = "13800000001"
    with store.session() as s:
        applications.record_revision(stored(app, store), session=s)
        s.commit()
        row = applications.get_row(app_id, session=s)
        assert row is not None and row.state == State.RESUBMITTED.value


@pytest.mark.parametrize(("received", "expected"), [(9, State.RESUBMITTED), (11, State.ABANDONED)])
def test_resubmission_after_deadline_is_abandoned(
    store: Store, received: int, expected: State
) -> None:
    [app_id] = add(store, 1)
    with store.session() as s:
        row = applications.get_row(app_id, session=s)
        assert row is not None
        row.state, row.deadline = State.RETURNED.value, date(2026, 3, 10)
        s.add(row)
        s.commit()
        app = applications.load_revision(app_id, session=s)
    app.basic.phone = "13800000002"
    with store.session() as s:
        applications.record_revision(
            stored(app, store), session=s, received_on=date(2026, 3, received)
        )
        s.commit()
        row = applications.get_row(app_id, session=s)
        assert row is not None and row.state == expected.value


def test_queue_filters_search_sort_and_tree(store: Store) -> None:
    add(store, 5, basic__series="工程技术", basic__level="中级", basic__title="工程师")
    add(store, 3, basic__series="会计", basic__level="中级", basic__title="会计师")
    with store.session() as s:
        every = queue.count(queue.QueueFilter(), session=s)
        acc = queue.QueueFilter(series="会计")
        assert (every, queue.count(acc, session=s)) == (8, 3)
        rows = queue.page(acc, 0, 10, session=s)
        assert {r.series for r in rows} == {"会计"} and len(rows) == 3
        name = rows[1].name
        found = queue.page(queue.QueueFilter(search=name), 0, 10, session=s)
        assert name in {r.name for r in found}
        by_name = queue.page(queue.QueueFilter(sort="name"), 0, 10, session=s)
        assert [r.name for r in by_name] == sorted(r.name for r in by_name)
        desc = queue.page(queue.QueueFilter(sort="name", descending=True), 0, 10, session=s)
        assert [r.id for r in desc] != [r.id for r in by_name]
        window = queue.page(queue.QueueFilter(sort="name"), 2, 3, session=s)
        assert [r.id for r in window] == [r.id for r in by_name[2:5]]
        assert queue.position_of(by_name[4].id, queue.QueueFilter(sort="name"), session=s) == 4
        tree = queue.tree_counts(session=s)
    totals = {(t.series, t.state): t.count for t in tree}
    assert totals[("工程技术", State.PENDING.value)] == 5
    assert totals[("会计", State.PENDING.value)] == 3


@pytest.mark.parametrize("pattern", ["%", "_", "\\", "' OR 1=1 --"])
def test_search_treats_wildcards_as_text(store: Store, pattern: str) -> None:
    add(store, 3)
    with store.session() as s:
        assert queue.count(queue.QueueFilter(search=pattern), session=s) == 0


def test_state_filter(store: Store) -> None:
    ids = add(store, 4)
    with store.session() as s:
        row = applications.get_row(ids[0], session=s)
        assert row is not None
        row.state = State.PASSED.value
        s.add(row)
        s.commit()
        flt = queue.QueueFilter(states=frozenset({State.PASSED.value}))
        assert [r.id for r in queue.page(flt, 0, 10, session=s)] == [ids[0]]


def _counts_of(store: Store, app_id: str) -> tuple[int, int, int]:
    with store.session() as s:
        row = applications.get_row(app_id, session=s)
        assert row is not None
        return row.n_ok, row.n_warn, row.n_fail


def test_elig_excl_counted_in_the_queue_for_two_applications_of_one_person(store: Store) -> None:
    """Recording runs the checks with the applicant's other applications, and refreshes theirs."""
    config = default_config()
    first = stored(make_application(3, application_id=str(uuid.uuid4())), store)
    with store.session() as s:
        applications.record_revision(first, session=s, config=config)
        s.commit()
    alone = _counts_of(store, str(first.application_id))
    assert sum(alone) > 0  # the checks ran: real counts, not ✓0 ⚠0 ✗0
    second = stored(
        make_application(
            3,
            application_id=str(uuid.uuid4()),
            basic__id_number=first.basic.id_number,
            basic__application_kind="考核认定",
        ),
        store,
    )
    with store.session() as s:
        applications.record_revision(second, session=s, config=config)
        s.commit()
    for app, peer in ((first, second), (second, first)):
        results = run_all(app, config, peers=[applications.peer_info(peer)])
        assert any(r.check_id == "ELIG-EXCL" and r.severity is Severity.FAIL for r in results)
        assert _counts_of(store, str(app.application_id)) == counts(results)
    # The first application's count of ✗ grew when the second arrived.
    assert _counts_of(store, str(first.application_id))[2] == alone[2] + 1
