"""Paths are checked where they are decided: catalogue, year, upward only, the routing table."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest

from zcreview.configfiles import default_config
from zcreview.domain.path_rules import PathEnd, path_problems
from zcreview.hub.core import Hub
from zcreview.hub.errors import HubError
from zcreview.protocol import PathRequest

TODAY = date(2026, 12, 5)
UNIT = PathEnd("威海市环翠区某建设工程有限公司", "用人单位", "区县")
DEPT = PathEnd("环翠区住房和城乡建设局", "主管部门", "区县")
BUREAU = PathEnd("环翠区人力资源和社会保障局", "人社局", "区县")
CITY_UNIT = PathEnd("威海市某研究院", "用人单位", "市直")
CITY_IT = PathEnd("威海市工业和信息化局", "呈报部门", "市直")
CITY_HR = PathEnd("威海市人力资源和社会保障局", "评委会办事机构", "市直")


def problems(
    lower: PathEnd, upper: PathEnd, series: str = "工程技术", level: str = "中级", year: int = 2026
) -> list[str]:
    return path_problems(lower, upper, series, level, year, default_config(), TODAY)


@pytest.mark.parametrize(
    ("lower", "upper", "series", "level"),
    [
        (UNIT, DEPT, "工程技术", "中级"),
        (DEPT, BUREAU, "工程技术", "中级"),
        (BUREAU, CITY_IT, "工程技术", "中级"),
        (CITY_UNIT, CITY_IT, "工程技术", "副高级"),
        (CITY_UNIT, CITY_HR, "工程技术", "正高级"),
        (BUREAU, PathEnd("某市教育局", "呈报部门", "市直"), "中小学教师", "中级"),
    ],
)
def test_allowed_paths_pass(lower: PathEnd, upper: PathEnd, series: str, level: str) -> None:
    assert problems(lower, upper, series, level) == []


def test_unknown_series_level_and_year_are_refused() -> None:
    assert "不在职称目录中" in problems(UNIT, DEPT, series="不存在")[0]
    assert "申报级别“高级”无效" in problems(UNIT, DEPT, level="高级")[0]
    assert "不合理" in problems(UNIT, DEPT, year=1990)[0]
    assert "不合理" in problems(UNIT, DEPT, year=TODAY.year + 2)[0]
    assert problems(UNIT, DEPT, year=TODAY.year + 1) == []


def test_downward_and_sideways_paths_are_refused() -> None:
    assert "只能向上级申请" in problems(BUREAU, UNIT)[0]
    assert "只能向上级申请" in problems(UNIT, PathEnd("另一家公司", "用人单位", "区县"))[0]
    assert "只能向上级申请" in problems(CITY_IT, BUREAU)[0]


def test_county_units_cannot_skip_their_county() -> None:
    [why] = problems(UNIT, CITY_HR, level="正高级")
    assert "区县单位须经主管部门或区县人社局上报" in why


def test_receivers_of_the_routing_table_take_only_their_series() -> None:
    [why] = problems(CITY_UNIT, CITY_IT, level="正高级")
    assert "由威海市人力资源和社会保障局受理" in why
    [why] = problems(BUREAU, PathEnd("威海市卫生健康委", "呈报部门", "市直"), "卫生技术", "中级")
    assert "没有市级评审渠道" in why


def test_hub_refuses_a_path_the_rules_do_not_allow(tmp_path: Path) -> None:
    hub = Hub.open(tmp_path / "hub")
    try:
        hub.add_office(UNIT.name, "91371002MA3C000001", UNIT.office_type, UNIT.office_level)
        hub.add_office(BUREAU.name, "11371002MB2852311X", BUREAU.office_type, BUREAU.office_level)
        _, bureau_token = hub.add_office(BUREAU.name + "2", "11371002MB2852312X", "人社局", "区县")
        unit = hub.authenticate(
            hub.add_office(DEPT.name, "11371002MB2852313X", "主管部门", "区县")[1]
        )
        bureau = hub.authenticate(bureau_token)

        def request(
            office: object, upper: str, series: str = "工程技术", level: str = "中级"
        ) -> None:
            req = PathRequest(upper_office=upper, series=series, level=level, year=2026)
            hub.put_path(office, str(uuid.uuid4()), req)  # type: ignore[arg-type]

        with pytest.raises(HubError) as refused:
            request(unit, "11371002MB2852311X", series="不存在")
        assert (
            refused.value.code == "path_not_allowed" and "不在职称目录中" in refused.value.message
        )
        with pytest.raises(HubError, match="只能向上级申请"):
            request(bureau, "91371002MA3C000001")
        request(unit, "11371002MB2852311X")  # 主管部门 → 区县人社局: allowed
    finally:
        hub.dispose()
