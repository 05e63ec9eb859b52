"""Plausible employers of Weihai, with valid 统一社会信用代码 (GB 32100) and departments."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from zcreview.demo.people import weighted
from zcreview.domain.checks.validators import CREDIT_ALPHABET, credit_check_char

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Registration authority + organisation kind (GB 32100 positions 1–2), by 单位性质.
_CODE_PREFIX = {"企业": "91", "事业单位": "12", "机关": "11", "社会团体": "51", "其他": "31"}

# (county code, short name used in unit names, district label for 乡镇)
DISTRICTS: tuple[tuple[str, str, int], ...] = (
    ("371002", "环翠区", 30),
    ("371003", "文登区", 22),
    ("371082", "荣成市", 24),
    ("371083", "乳山市", 16),
    ("371071", "高区", 5),
    ("371072", "经区", 5),
    ("371073", "临港区", 3),
)
_TOWNS = {
    "环翠区": ["孙家疃街道", "张村镇", "羊亭镇", "温泉镇", "桥头镇", "竹岛街道", "鲸园街道"],
    "文登区": [
        "张家产镇",
        "葛家镇",
        "大水泊镇",
        "宋村镇",
        "泽头镇",
        "侯家镇",
        "米山镇",
        "龙山街道",
    ],
    "荣成市": ["石岛管理区", "俚岛镇", "成山镇", "港西镇", "人和镇", "崖头街道", "寻山街道"],
    "乳山市": ["海阳所镇", "夏村镇", "乳山口镇", "白沙滩镇", "冯家镇", "育黎镇", "城区街道"],
    "高区": ["怡园街道", "田和街道", "初村镇"],
    "经区": ["皇冠街道", "凤林街道", "泊于镇", "桥头镇"],
    "临港区": ["草庙子镇", "汪疃镇", "苘山镇"],
}
_BRANDS = (
    "海鸿",
    "华润",
    "金猴",
    "三角",
    "迪尚",
    "光威",
    "好当家",
    "泰祥",
    "赤山",
    "东山",
    "恒邦",
    "威高",
    "北洋",
    "广泰",
    "家家悦",
    "海大",
    "蓝海",
    "成通",
    "石岛",
    "正泰",
    "华东",
    "荣鑫",
    "文峰",
    "昆嵛",
    "乳山",
    "银滩",
    "海之宝",
    "鲁东",
    "盛泉",
    "信诺",
    "联桥",
    "天润",
    "宝源",
    "新明",
    "泓远",
    "盛达",
    "瑞祥",
    "润丰",
    "嘉诚",
    "海宇",
)


@dataclass(frozen=True)
class Industry:
    """What an employer does: the words of its name, its nature and the series it employs."""

    key: str
    nature: str
    series: tuple[tuple[str, int], ...]
    category: str | None = None  # 工程技术 专业类别
    size: int = 10


# Series weights inside each kind of employer; sizes make big hospitals and schools dominate.
INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "医院",
        "事业单位",
        (("卫生技术", 95), ("会计", 2), ("经济", 2), ("工程技术", 1)),
        "工业和信息化领域工程",
        40,
    ),
    Industry("卫生院", "事业单位", (("卫生技术", 97), ("会计", 3)), None, 6),
    Industry("疾控", "事业单位", (("卫生技术", 90), ("实验技术", 10)), None, 8),
    Industry("中学", "事业单位", (("中小学教师", 97), ("会计", 2), ("实验技术", 1)), None, 22),
    Industry("小学", "事业单位", (("中小学教师", 99), ("会计", 1)), None, 16),
    Industry("职业学校", "事业单位", (("中等职业学校教师", 80), ("技工学校教师", 20)), None, 10),
    Industry("农业", "事业单位", (("农业技术", 90), ("经济", 5), ("会计", 5)), None, 10),
    Industry("水利", "事业单位", (("工程技术", 95), ("会计", 5)), "水利工程", 6),
    Industry("公路", "事业单位", (("工程技术", 95), ("会计", 5)), "交通工程", 6),
    Industry("环境", "事业单位", (("工程技术", 95), ("会计", 5)), "环境保护工程", 5),
    Industry("自然资源", "事业单位", (("工程技术", 95), ("档案", 5)), "自然资源工程", 5),
    Industry("检验检测", "事业单位", (("工程技术", 90), ("药品技术", 10)), "质量工程", 5),
    Industry(
        "广电",
        "事业单位",
        (("新闻", 40), ("播音", 20), ("工程技术", 35), ("会计", 5)),
        "广播电视工程",
        5,
    ),
    Industry(
        "文化",
        "事业单位",
        (("群众文化", 45), ("图书资料", 25), ("文物博物", 20), ("档案", 10)),
        None,
        5,
    ),
    Industry(
        "机械",
        "企业",
        (("工程技术", 75), ("会计", 12), ("经济", 10), ("统计", 3)),
        "工业和信息化领域工程",
        12,
    ),
    Industry(
        "电子", "企业", (("工程技术", 78), ("会计", 10), ("经济", 12)), "工业和信息化领域工程", 10
    ),
    Industry(
        "船舶",
        "企业",
        (("工程技术", 80), ("会计", 8), ("经济", 8), ("船舶", 4)),
        "工业和信息化领域工程",
        8,
    ),
    Industry(
        "食品",
        "企业",
        (("工程技术", 60), ("会计", 15), ("经济", 15), ("农业技术", 10)),
        "工业和信息化领域工程",
        8,
    ),
    Industry("建筑", "企业", (("工程技术", 85), ("会计", 8), ("经济", 7)), "建设工程", 10),
    Industry("交通建设", "企业", (("工程技术", 85), ("会计", 8), ("经济", 7)), "交通工程", 6),
    Industry("环保", "企业", (("工程技术", 85), ("会计", 8), ("经济", 7)), "环境保护工程", 4),
    Industry(
        "制药",
        "企业",
        (("药品技术", 70), ("工程技术", 15), ("会计", 8), ("经济", 7)),
        "工业和信息化领域工程",
        7,
    ),
    Industry("银行", "企业", (("经济", 70), ("会计", 25), ("统计", 5)), None, 6),
    Industry("会计师事务所", "企业", (("会计", 60), ("审计", 40)), None, 3),
    Industry("律师事务所", "其他", (("律师", 100),), None, 2),
    Industry("统计", "机关", (("统计", 70), ("会计", 30)), None, 2),
    Industry("体育", "事业单位", (("体育专业人员", 90), ("会计", 10)), None, 2),
    Industry(
        "研究院",
        "事业单位",
        (("自然科学研究", 70), ("工程技术", 20), ("农业技术", 10)),
        "工业和信息化领域工程",
        3,
    ),
)

_ENTERPRISE_WORDS = {
    "机械": ["机械", "重工", "数控机床", "精密机械", "汽车零部件"],
    "电子": ["电子科技", "信息技术", "智能装备", "光电科技", "软件"],
    "船舶": ["船舶重工", "造船", "海洋装备", "船舶修造"],
    "食品": ["海洋食品", "水产食品", "食品", "海产"],
    "建筑": ["建筑工程", "建设集团", "建工", "市政工程"],
    "交通建设": ["路桥工程", "交通建设", "港航工程"],
    "环保": ["环保科技", "环境工程", "水务环保"],
    "制药": ["制药", "药业", "生物医药", "医用制品"],
}
_DEPTS = {
    "医院": ["内科", "外科", "妇产科", "儿科", "护理部", "药剂科", "检验科", "放射科", "急诊科"],
    "卫生院": ["全科医疗科", "护理部", "药房", "公共卫生科"],
    "疾控": ["检验科", "疾病控制科", "卫生监测科"],
    "中学": ["初一年级组", "初二年级组", "初三年级组", "高一年级组", "教务处"],
    "小学": ["一年级组", "三年级组", "五年级组", "教导处"],
    "职业学校": ["机电专业部", "财会专业部", "教务处"],
    "银行": ["公司业务部", "个人金融部", "风险管理部", "运营管理部", "计划财务部"],
}
_DEFAULT_DEPTS = ["技术部", "生产部", "质量部", "研发中心", "财务部", "工程部", "综合部"]


def org_code_check(body8: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else ("0" if c == 11 else str(c))


def make_credit_code(rng: random.Random, nature: str, region: str) -> str:
    """A valid 统一社会信用代码 for a unit of `nature` registered in `region`."""
    if nature == "企业":
        # Enterprise codes issued since 2015 carry a random body (GB 32100 allows letters).
        # Codes issued since 2015 start the body with MA; older ones keep the 8-digit 组织机构代码.
        if rng.random() < 0.6:
            body = "MA" + "".join(rng.choice(CREDIT_ALPHABET) for _ in range(6))
        else:
            body = "".join(rng.choice("0123456789") for _ in range(8))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = _CODE_PREFIX.get(nature, "91") + region + body + org_code_check(body)
    return first17 + credit_check_char(first17)


@dataclass(frozen=True)
class Unit:
    """An employer that applies for its staff (申报单位)."""

    name: str
    credit_code: str
    nature: str
    industry: Industry
    district: str
    region: str
    town: str
    departments: tuple[str, ...] = field(default_factory=tuple)

    def department(self, rng: random.Random) -> str:
        return rng.choice(self.departments)


def _unit_name(rng: random.Random, ind: Industry, district: str, town: str, n: int) -> str:
    city = "威海市" if rng.random() < 0.35 else district
    key = ind.key
    if key == "医院":
        return rng.choice(
            [
                f"{district}人民医院",
                f"{district}中医院",
                f"{district}第二人民医院",
                "威海市立医院",
                "威海市中心医院",
                "威海市妇幼保健院",
                "威海卫人民医院",
                f"{district}妇幼保健院",
            ]
        )
    if key == "卫生院":
        if town.endswith("镇"):
            return f"{district}{town}卫生院"
        return f"{district}{town}社区卫生服务中心"
    if key == "疾控":
        return f"{city}疾病预防控制中心"
    if key == "中学":
        return rng.choice(
            [
                f"{district}第{_cn_number(n % 12 + 1)}中学",
                f"{district}实验中学",
                f"威海市第{_cn_number(n % 4 + 1)}中学",
                f"{district}{town}中学",
            ]
        )
    if key == "小学":
        return rng.choice(
            [
                f"{district}实验小学",
                f"{district}{town}中心小学",
                f"{district}第{_cn_number(n % 6 + 2)}实验小学",
                f"{district}府新小学",
            ]
        )
    if key == "职业学校":
        return rng.choice(
            [
                "威海市职业中等专业学校",
                f"{district}职业中等专业学校",
                "威海市技师学院",
                f"{district}高级技工学校",
            ]
        )
    if key == "农业":
        return rng.choice(
            [
                f"{district}农业技术推广中心",
                f"{district}畜牧兽医事业服务中心",
                f"{district}{town}农业综合服务中心",
                f"{district}海洋与渔业研究所",
            ]
        )
    if key == "水利":
        return rng.choice(
            ["威海市水文中心", f"{district}水利事业服务中心", "威海市米山水库管理中心"]
        )
    if key == "公路":
        return rng.choice(["威海市公路事业发展中心", f"{district}公路事业发展中心"])
    if key == "环境":
        return rng.choice(["威海市生态环境监控中心", f"威海市生态环境局{district}分局监测站"])
    if key == "自然资源":
        return rng.choice(["威海市自然资源和规划服务中心", f"{district}自然资源事务服务中心"])
    if key == "检验检测":
        return rng.choice(["威海市检验检测中心", f"{district}市场监管检验检测中心"])
    if key == "广电":
        return rng.choice(["威海市广播电视台", f"{district}融媒体中心"])
    if key == "文化":
        return rng.choice(
            [
                "威海市图书馆",
                "威海市博物馆",
                f"{district}文化馆",
                "威海市档案馆",
                f"{district}图书馆",
            ]
        )
    if key == "银行":
        return rng.choice(
            [
                f"威海市商业银行股份有限公司{district}支行",
                f"山东{district.removesuffix('区').removesuffix('市')}农村商业银行股份有限公司",
                f"中国农业银行股份有限公司威海{district}支行",
            ]
        )
    if key == "会计师事务所":
        return f"威海{rng.choice(_BRANDS)}有限责任会计师事务所"
    if key == "律师事务所":
        return f"山东{rng.choice(_BRANDS)}律师事务所"
    if key == "统计":
        return f"{district}统计局普查中心"
    if key == "体育":
        return "威海市体育运动学校"
    if key == "研究院":
        return rng.choice(["威海市海洋与渔业研究院", "威海市农业科学院", "威海市工业技术研究院"])
    words = rng.choice(_ENTERPRISE_WORDS[key])
    place = rng.choice(["威海", _COMPANY_PLACE.get(district, "威海"), "山东"])
    suffix = rng.choice(["有限公司", "有限公司", "股份有限公司", "集团有限公司"])
    return f"{place}{rng.choice(_BRANDS)}{words}{suffix}"


_COMPANY_PLACE = {"文登区": "威海市文登区", "荣成市": "荣成市", "乳山市": "乳山市"}
_DIGITS = "零一二三四五六七八九十"


def _cn_number(n: int) -> str:
    """Chinese numerals 1–99, as unit names write them (第十二中学)."""
    if n <= 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def make_units(rng: random.Random, count: int) -> list[Unit]:
    """`count` distinct employers across the Weihai districts; names never repeat."""
    units: list[Unit] = []
    seen: set[str] = set()
    tries = 0
    # Each industry appears at least once so every common series has an employer.
    order = list(INDUSTRIES) + [
        weighted(rng, tuple((i, i.size) for i in INDUSTRIES)) for _ in range(count)
    ]
    for ind in order:
        if len(units) >= count:
            break
        tries += 1
        # About one unit in seven is city-level (市直): registered with the city code.
        code, district, _ = weighted(rng, tuple((d, d[2]) for d in DISTRICTS))
        if rng.random() < 0.15:
            code = "371000"
        town = rng.choice(_TOWNS.get(district, ["城区街道"]))
        name = _unit_name(rng, ind, district, town, len(units) + tries)
        if name in seen:
            continue
        if name.startswith("威海市"):
            code = "371000"
        seen.add(name)
        units.append(
            Unit(
                name=name,
                credit_code=make_credit_code(rng, ind.nature, code),
                nature=ind.nature,
                industry=ind,
                district=district,
                region=code,
                town=town,
                departments=tuple(_DEPTS.get(ind.key, _DEFAULT_DEPTS)),
            )
        )
    return units
