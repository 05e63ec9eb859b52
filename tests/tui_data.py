"""Deterministic queue data for the TUI tests and benchmarks, written straight through storage.

Rows are inserted with one executemany per table, so 50,000 applications take seconds; every
revision body is a valid canonical `Application` JSON (the detail view loads it).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert

from zcreview.domain.model import Application
from zcreview.domain.workflow import State
from zcreview.storage import office
from zcreview.storage.store import Store
from zcreview.storage.tables import ApplicationRow, RevisionRow

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟"]
UNITS = [
    "威海市环翠区人民医院",
    "济南市第三中学",
    "山东华泰机械有限公司",
    "威海市水利工程建设中心",
    "济阳区市场监督管理局检验所",
    "山东海洋食品科技股份有限公司",
]
SERIES: list[tuple[str, dict[str, str]]] = [
    ("工程技术", {"中级": "工程师", "副高级": "高级工程师", "助理级": "助理工程师"}),
    ("卫生", {"中级": "主治医师", "副高级": "副主任医师", "助理级": "医师"}),
    ("中小学教师", {"中级": "一级教师", "副高级": "高级教师", "助理级": "二级教师"}),
    ("会计", {"中级": "会计师", "副高级": "高级会计师", "助理级": "助理会计师"}),
]
LEVELS = ["中级", "副高级", "助理级"]
STATES = [s.value for s in State]
STATE_WEIGHTS = [State.PENDING.value] * 5 + [
    State.IN_REVIEW.value,
    State.PASSED.value,
    State.PASSED.value,
    State.RETURNED.value,
    State.RESUBMITTED.value,
    State.REPORTED.value,
]


def _template() -> dict[str, Any]:
    app = Application.model_validate(
        {
            "application_id": str(uuid.UUID(int=0)),
            "basic": {
                "name": "王伟",
                "id_number": "370102198001010011",
                "gender": "男",
                "birth_date": "1980-01-01",
                "year": 2025,
                "unit_rank": "1/3",
                "level": "中级",
                "series": "工程技术",
                "title": "工程师",
                "specialty_category": "水利工程",
                "current_specialty": "水工结构",
                "applying_unit": UNITS[0],
                "work_start": "2003-07",
                "professional_years": 20,
                "social_security_unit": UNITS[0],
                "submitted_on": "2025-03-01",
            },
            "education": {
                "basis": {
                    "school": "山东大学",
                    "major": "水利水电工程",
                    "education": "大学本科",
                    "degree": "工学学士",
                    "graduated_on": "2003-07",
                    "chsi_code": "A1B2C3D4E5F6G7H8",
                    "attachments": [
                        {
                            "name": "2003年7月本科毕业证书",
                            "file": "edu/diploma.pdf",
                            "sha256": hashlib.sha256(b"diploma").hexdigest(),
                            "size": 523_000,
                            "mime": "application/pdf",
                        }
                    ],
                }
            },
            "titles": [
                {
                    "level": "助理级",
                    "series": "工程技术",
                    "title": "助理工程师",
                    "obtained_on": "2015-12",
                    "obtained_by": "正常晋升",
                }
            ],
            "assessments": [
                {"year": y, "post": "助理工程师", "grade": "合格", "unit": UNITS[0]}
                for y in (2021, 2022, 2023, 2024)
            ],
            "continuing_education": [
                {
                    "start": f"{y}-01",
                    "end": f"{y}-12",
                    "content": "专业科目",
                    "public_hours": 30,
                    "professional_hours": 60,
                }
                for y in (2021, 2022, 2023, 2024)
            ],
            "work_history": [
                {
                    "start": "2003-07",
                    "unit_dept_post": f"{UNITS[0]}/技术部/助理工程师",
                    "work": "水工结构设计",
                }
            ],
            "achievements": [
                {
                    "category": "论文/著作",
                    "name": "论文：《小型水库除险加固设计要点》",
                    "on": "2022-05",
                    "rank": "1/2",
                    "publisher": "山东水利 2022(5)",
                    "issn": "1009-6159",
                }
            ],
            "work_summary": "任现职以来，主持完成小型水库除险加固设计三项。",
            "other_attachments": [
                {
                    "name": "2025年3月六公开监督卡",
                    "file": "other/card.pdf",
                    "kind": "六公开监督卡",
                    "sha256": hashlib.sha256(b"card").hexdigest(),
                    "size": 88_000,
                    "mime": "application/pdf",
                }
            ],
        }
    )
    return app.model_dump(mode="json")


_TEMPLATE: dict[str, Any] | None = None


def person(i: int) -> dict[str, Any]:
    """Queue columns of application number `i` (deterministic)."""
    series, titles = SERIES[(i // 3) % len(SERIES)]
    level = LEVELS[i % len(LEVELS)]
    state = STATE_WEIGHTS[(i * 7) % len(STATE_WEIGHTS)]
    return {
        "name": SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)],
        "unit": UNITS[(i * 5) % len(UNITS)],
        "id_number": f"37010{i:08d}{(i * 37) % 10000:04d}X",
        "year": 2025 if (i // 7) % 4 else 2024,
        "level": level,
        "series": series,
        "title": titles[level],
        "submitted_on": date(2025, 1, 1) + timedelta(days=(i * 13) % 120),
        "state": state,
        "holder": "张审核" if state == State.IN_REVIEW.value else None,
        "n_ok": 30 + i % 9,
        "n_warn": (i * 3) % 4,
        "n_fail": 1 if i % 5 == 0 else 0,
    }


Override = Callable[[int], dict[str, Any]]


def rows(
    count: int, *, start: int = 0, override: Override | None = None
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(application row, revision row) dicts for applications `start … start+count`."""
    global _TEMPLATE
    if _TEMPLATE is None:
        _TEMPLATE = _template()
    for i in range(start, start + count):
        cols = person(i)
        if override is not None:
            cols.update(override(i))
        app_id = str(uuid.UUID(int=i + 1))
        body = dict(_TEMPLATE)
        basic = dict(body["basic"])
        basic.update(
            name=cols["name"],
            id_number=cols["id_number"],
            year=cols["year"],
            level=cols["level"],
            series=cols["series"],
            title=cols["title"],
            applying_unit=cols["unit"],
            social_security_unit=cols["unit"],
            submitted_on=cols["submitted_on"].isoformat() if cols["submitted_on"] else None,
        )
        body["basic"] = basic
        body["application_id"] = app_id
        text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        rev = hashlib.sha256(text.encode()).hexdigest()
        app_row = dict(cols, id=app_id, head_revision=rev, revision_count=1)
        rev_row = {
            "application_id": app_id,
            "revision": rev,
            "number": 1,
            "body": text,
            "source": "test",
        }
        yield app_row, rev_row


def fill(store: Store, count: int, *, override: Override | None = None, batch: int = 5000) -> None:
    """Insert `count` applications into `store` (one transaction per `batch`)."""
    done = 0
    while done < count:
        n = min(batch, count - done)
        pairs = list(rows(n, start=done, override=override))
        with store.engine.begin() as conn:
            conn.execute(insert(ApplicationRow), [a for a, _ in pairs])
            conn.execute(insert(RevisionRow), [r for _, r in pairs])
        done += n


def add_reviewers(store: Store, *names: str) -> None:
    with store.session() as session:
        for name in names:
            office.add_reviewer(session=session, name=name)
        session.commit()
