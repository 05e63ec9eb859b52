"""The shipped catalogue, routing table, thresholds and reasons, and the user-override loader."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from zcreview.configfiles import ConfigError, deep_merge, default_config, load_config
from zcreview.domain.catalogue import Config
from zcreview.domain.model import LEVELS

SEED_002 = sorted((Path(__file__).resolve().parents[1] / "docs" / "seeds").glob("002_*.txt"))

# Seed 002 §4 numbers its rows 1–36 but skips 12 and prints 审计 without a number between 统计
# (11) and 农业技术 (13): 35 numbered rows + 审计 = 36 series.
SEED_SERIES_COUNT = 36


@pytest.fixture(scope="module")
def cfg() -> Config:
    return default_config()


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- catalogue -----------------------------------------------------------------------------


def test_every_series_of_the_seed_table_is_present(cfg: Config) -> None:
    cat = cfg.catalogue
    assert len(cat.series) == SEED_SERIES_COUNT
    assert len(set(cat.series_names())) == SEED_SERIES_COUNT
    numbers = [s.no for s in cat.series if s.no is not None]
    assert sorted(numbers) == [n for n in range(1, 37) if n != 12]
    audit = cat.get_series("审计")
    assert audit is not None and audit.no is None
    assert cat.series_names()[:3] == ["中小学教师", "中等职业学校教师", "高等学校教师"]
    assert cat.series_names()[-1] == "职业农民"


def test_catalogue_holds_every_name_of_the_seed_table(cfg: Config) -> None:
    text = SEED_002[0].read_text(encoding="utf-8")
    table = text[text.index("职称申报系列及层级名称") : text.index("5.职称申报评审流程")]
    cells = [c.strip() for c in table.splitlines() if c.strip()]
    headers = {"职称申报系列及层级名称", "序号", "名称", "各层级职称名称", "高级", "中级", "初级"}
    cells = [c for c in cells if c not in headers]
    series = {cells[i + 1] for i, c in enumerate(cells) if c.isdigit()} | {"审计"}
    assert series == set(cfg.catalogue.series_names())
    titles = {t for s in cfg.catalogue.series for track in s.tracks for t in track.values()}
    loose = {c for c in cells if not c.isdigit() and c not in series}
    assert loose == titles


def test_engineering_titles_by_level(cfg: Config) -> None:
    cat = cfg.catalogue
    expected = ["正高级工程师", "高级工程师", "工程师", "助理工程师", "技术员"]
    assert [cat.titles_for("工程技术", level) for level in LEVELS] == [[t] for t in expected]


def test_art_has_fourteen_tracks_without_a_clerk_level(cfg: Config) -> None:
    art = cfg.catalogue.get_series("艺术")
    assert art is not None and len(art.tracks) == 14
    assert cfg.catalogue.titles_for("艺术", "员级") == []
    assert "一级导演（编导）" in cfg.catalogue.titles_for("艺术", "正高级")
    assert cfg.catalogue.level_of_title("艺术", "三级编剧") == "中级"
    assert cfg.catalogue.level_of_title("艺术", "四级剪辑师") == "助理级"


def test_ships_and_multi_track_series(cfg: Config) -> None:
    cat = cfg.catalogue
    assert cat.titles_for("船舶", "员级") == ["驾驶员", "轮机员", "船舶电子员", "引航员"]
    assert cat.titles_for("船舶", "正高级")[0] == "正高级船长"
    assert cat.titles_for("经济", "中级") == ["经济师", "人力资源管理师", "知识产权师"]
    assert cat.titles_for("卫生技术", "助理级") == ["医师", "护师", "药师", "技师"]
    # 农业技术员 closes three tracks but is one title.
    assert cat.titles_for("农业技术", "员级") == ["农业技术员"]
    assert cat.titles_for("农业技术", "正高级")[-1] == "农业技术推广研究员"
    assert cat.titles_for("新闻", "副高级") == ["主任记者", "主任编辑"]


def test_level_and_title_agree_both_ways(cfg: Config) -> None:
    cat = cfg.catalogue
    for series in cat.series_names():
        for level in LEVELS:
            for title in cat.titles_for(series, level):
                assert cat.level_of_title(series, title) == level
                assert cat.is_consistent(series, level, title)
                others = [lv for lv in LEVELS if lv != level]
                assert not any(cat.is_consistent(series, lv, title) for lv in others)
    assert not cat.is_consistent("工程技术", "中级", "高级工程师")
    assert not cat.is_consistent("工程技术", "中级", "经济师")
    assert not cat.is_consistent("不存在的系列", "中级", "工程师")
    assert not cat.is_consistent("工程技术", "高级", "高级工程师")
    assert cat.level_of_title("会计", "工程师") is None


def test_aliases_of_series_and_titles(cfg: Config) -> None:
    cat = cfg.catalogue
    assert cat.titles_for("档案专业", "中级") == ["馆员"]
    assert cat.is_consistent("经济专业", "副高级", "高级经济师")
    assert cat.is_consistent("卫生技术", "中级", "主治医师")
    assert cat.level_of_title("卫生技术", "主管医师") == "中级"


def test_fees_and_level_groups(cfg: Config) -> None:
    cat = cfg.catalogue
    assert [cat.fee_for(level) for level in LEVELS] == [360, 360, 160, 100, 100]
    assert cat.fee_for("高级") is None
    assert cat.level_group("助理级") == "初级"
    assert cat.exam_subject_fee == 60


def test_specialty_lists(cfg: Config) -> None:
    cat = cfg.catalogue
    engineering = [
        "质量工程",
        "广播电视工程",
        "水利工程",
        "交通工程",
        "自然资源工程",
        "环境保护工程",
        "工业和信息化领域工程",
        "煤炭工程",
        "基层工程",
    ]
    assert set(engineering) <= set(cat.categories_for("工程技术"))
    for category in cat.categories_for("工程技术"):
        names = cat.specialties_for("工程技术", category)
        assert 5 <= len(names) <= 10, category
    assert "环境监测" in cat.specialties_for("工程技术", "环境保护工程")
    assert "环境监测" in cat.specialties_for("工程技术")
    assert cat.specialties_for("工程技术", "不存在") == []
    for series in ("中小学教师", "卫生技术", "会计", "经济", "农业技术", "档案", "药品技术"):
        assert cat.specialties_for(series), series
    assert "档案管理" in cat.specialties_for("档案专业")
    other = cat.choices.other_specialty
    assert all(other not in names for names in cat.specialties.values())


def test_choice_lists(cfg: Config) -> None:
    ch = cfg.catalogue.choices
    assert ch.methods[0] == "正常晋升" and "高技能人才贯通" in ch.methods
    assert ch.exceptional_method in ch.methods
    assert ch.exceptional_kinds == ["学历破格", "资历破格", "学历资历双破格", "改系列破格"]
    assert ch.achievement_categories == ["论文/著作", "专利", "课题", "获奖", "其他"]
    assert set(ch.passing_grades) <= set(ch.assessment_grades)
    assert cfg.catalogue.is_passing_grade("称职")
    assert not cfg.catalogue.is_passing_grade("基本合格")
    assert cfg.catalogue.education_group("大学本科") == "本科"
    assert cfg.catalogue.education_group("省业余大学、大专") == "专科"


# --- routing -------------------------------------------------------------------------------


def test_routing_of_city_level_units(cfg: Config) -> None:
    r = cfg.routing
    assert r.receiver("工程技术", "中级") == "威海市工业和信息化局"
    assert r.receiver("档案", "正高级") == "威海市人力资源和社会保障局"
    assert r.receiver("档案", "员级") == "威海市档案局"
    assert r.receiver("盲人医疗按摩", "助理级") == "威海市残疾人联合会"
    assert r.receiver("经济", "副高级") == "威海市工业和信息化局"
    assert r.receiver("体育专业人员", "中级") == "威海市体育局"
    assert r.receiver("党校教师", "助理级") is None


def test_routing_empty_cells_categories_and_fallback(cfg: Config) -> None:
    r = cfg.routing
    # 卫生技术 中级/初级 are examined, not reviewed: the seed leaves those cells empty.
    assert r.receiver("卫生技术", "中级") is None
    assert r.receiver("工程技术", "副高级", category="自然资源工程") == "威海市自然资源和规划局"
    assert r.receiver("工程技术", "副高级", category="质量工程") == "威海市工业和信息化局"
    assert r.receiver("中小学教师", "副高", category="基层中小学教师") == "威海市教育局"
    assert r.receiver("会计", "正高级") == "威海市人力资源和社会保障局"
    assert r.receiver("会计", "中级") is None


# --- thresholds and reasons ----------------------------------------------------------------


def test_thresholds_of_the_checks(cfg: Config) -> None:
    t = cfg.thresholds
    ce = t.continuing_education
    assert (ce.hours_total, ce.hours_public, ce.hours_professional) == (90, 30, 60)
    assert ce.years_required(series="工程技术", level="中级", education="本科") == 4
    assert ce.years_required(series="药品技术", level="中级", education="专科") == 6
    assert ce.years_required(series="药品技术", level="中级", education="本科") == 4
    assert ce.years_required(series="工程技术", level="正高级") == 5
    assert ce.years_required(series="工程技术", level="助理级") is None
    a = t.assessment
    assert a.years_required(series="会计", level="中级", education="本科", method="正常晋升") == 4
    assert a.years_required(series="会计", level="中级", education="硕士", method="正常晋升") == 2
    assert (
        a.years_required(series="药品技术", level="中级", education="专科", method="正常晋升") == 6
    )
    assert a.years_required(series="会计", level="中级", education="本科", method="破格") is None
    assert (t.work.max_rows, t.achievements.max_count, t.achievements.max_files) == (6, 15, 3)
    assert t.summary.max_chars == 1200
    assert t.attachments.max_bytes == 5 * 1024 * 1024
    assert set(t.attachments.allowed_types) == {"pdf", "jpg", "jpeg", "png", "gif"}
    assert "业绩成果对照表" in t.attachments.required_for("工程技术")
    assert "业绩成果对照表" not in t.attachments.required_for("会计")
    assert t.title_time.switch_on == date(2021, 5, 1)
    assert t.edu_report.switch_year == 2002
    assert set(t.achievements.ejournal_banned_categories) == {
        "环境保护工程",
        "煤炭工程",
        "交通工程",
        "水利工程",
    }
    assert t.direct_eng.years_required("中级", "本科") == 6
    assert t.direct_eng.years_required("中级", "第二学士") == 3
    assert t.direct_eng.years_required("助理级", "中专") == 5
    assert t.direct_eng.years_required("正高级", "博士") is None
    assert t.drug.mid.years_since_assistant == 6
    assert t.early_meng.years_early == 1
    assert t.review.return_deadline_working_days == 5


def test_retirement_ages(cfg: Config) -> None:
    ret = cfg.thresholds.retirement
    # Born before the gradual-retirement cohorts: the plain ages.
    assert ret.retirement_date("男", date(1964, 6, 15)) == date(2024, 6, 15)
    assert ret.retirement_date("女", date(1969, 3, 1)) == date(2024, 3, 1)
    assert ret.retirement_date("女", date(1974, 3, 1), post="工人") == date(2024, 3, 1)
    # First cohort: one month later; 1965-05 is the second block of four months.
    assert ret.age_months("男", date(1965, 1, 10)) == 60 * 12 + 1
    assert ret.age_months("男", date(1965, 5, 10)) == 60 * 12 + 2
    assert ret.age_months("女", date(1990, 1, 1)) == 58 * 12
    assert ret.age_months("女", date(1990, 1, 1), post="工人") == 55 * 12
    assert ret.retires_by_year_end("男", date(1964, 12, 31), 2024) is True
    assert ret.retires_by_year_end("男", date(1965, 1, 1), 2024) is False
    assert ret.age_months("男", date(1965, 1, 1), post="未知") is None


def test_reason_templates(cfg: Config) -> None:
    ids = [r.id for r in cfg.reasons]
    assert len(ids) == len(set(ids)) >= 16
    texts = {r.text for r in cfg.reasons}
    assert {"附件不清晰或不完整", "继续教育学时不足", "缺少六公开监督卡"} <= texts
    major = cfg.reason("MAJOR-OTHER")
    assert major is not None and major.text == "现从事专业选择“其他”"
    assert any(r.id == "CE-HOURS" for r in cfg.reasons_for_check("CE-YEARS"))
    assert cfg.reason("NO-SUCH") is None


# --- loader --------------------------------------------------------------------------------


def test_deep_merge_merges_tables_and_replaces_lists() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    merged = deep_merge(base, {"a": {"y": [3]}, "c": 3})
    assert merged == {"a": {"x": 1, "y": [3]}, "b": 2, "c": 3}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}


def test_no_user_files_gives_the_cached_default(tmp_path: Path) -> None:
    assert load_config(tmp_path) is default_config()
    assert load_config(tmp_path / "missing") is default_config()


def test_user_files_merge_over_the_defaults(tmp_path: Path) -> None:
    _write(tmp_path, "thresholds.toml", "[summary]\nmax_chars = 1000\n")
    _write(
        tmp_path,
        "catalogue.toml",
        '[series."测试系列"]\ntracks = [{ "中级" = "测试师" }]\n\n'
        '[specialties]\n"会计" = ["企业会计"]\n',
    )
    _write(tmp_path, "routing.toml", '[routes."档案"]\n"中级" = "某区档案馆"\n')
    _write(tmp_path, "reasons.toml", '[reasons.LOCAL]\ntext = "请补充单位证明"\n')
    cfg = load_config(tmp_path)
    assert cfg.thresholds.summary.max_chars == 1000
    assert cfg.thresholds.work.max_rows == 6
    assert len(cfg.catalogue.series) == SEED_SERIES_COUNT + 1
    assert cfg.catalogue.is_consistent("测试系列", "中级", "测试师")
    assert cfg.catalogue.specialties_for("会计") == ["企业会计"]
    assert "语文" in cfg.catalogue.specialties_for("中小学教师")
    assert cfg.routing.receiver("档案", "中级") == "某区档案馆"
    assert cfg.routing.receiver("档案", "正高级") == "威海市人力资源和社会保障局"
    local = cfg.reason("LOCAL")
    assert local is not None and local.checks == []
    assert cfg.reason("CE-HOURS") is not None
    assert default_config().thresholds.summary.max_chars == 1200


def test_edited_user_file_is_read_again(tmp_path: Path) -> None:
    path = _write(tmp_path, "thresholds.toml", "[summary]\nmax_chars = 1000\n")
    assert load_config(tmp_path).thresholds.summary.max_chars == 1000
    path.write_text("[summary]\nmax_chars = 900\n", encoding="utf-8")
    assert load_config(tmp_path).thresholds.summary.max_chars == 900


def test_env_var_names_the_user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "thresholds.toml", "[work]\nmax_rows = 8\n")
    monkeypatch.setenv("ZCREVIEW_CONFIG_DIR", str(tmp_path))
    assert load_config().thresholds.work.max_rows == 8


@pytest.mark.parametrize(
    ("name", "text", "fragment"),
    [
        ("thresholds.toml", "[summary\nmax_chars = 1", "not valid TOML"),
        ("thresholds.toml", '[summary]\nmax_chars = "many"\n', "summary.max_chars"),
        ("thresholds.toml", "[summary]\nmax_char = 10\n", "max_char"),
        ("catalogue.toml", '[series."工程技术"]\ntracks = [{ "高级" = "高级工程师" }]\n', "tracks"),
        ("routing.toml", '[routes."档案"]\n"中" = "某局"\n', "routes"),
        ("reasons.toml", '[[reason]]\ntext = "x"\n', "unknown keys"),
    ],
)
def test_broken_user_file_names_the_file(
    tmp_path: Path, name: str, text: str, fragment: str
) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert caught.value.path == path
    assert str(path) in str(caught.value)
    assert fragment in str(caught.value)


def test_catalogue_module_stays_pure() -> None:
    code = (
        "import sys, zcreview.domain.catalogue\n"
        "bad = {'textual', 'sqlalchemy', 'sqlmodel'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
