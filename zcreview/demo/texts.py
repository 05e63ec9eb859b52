"""Words the demo writes into records: paper titles, journals (valid ISSN/CN), summaries."""

from __future__ import annotations

import random
from dataclasses import dataclass

# Which vocabulary a series uses; anything unnamed writes in the general register.
GROUP_OF_SERIES = {
    "工程技术": "eng",
    "卫生技术": "health",
    "药品技术": "drug",
    "中小学教师": "teacher",
    "中等职业学校教师": "teacher",
    "技工学校教师": "teacher",
    "会计": "finance",
    "审计": "finance",
    "统计": "finance",
    "经济": "finance",
    "农业技术": "agri",
    "实验技术": "eng",
}


def group_of(series: str) -> str:
    return GROUP_OF_SERIES.get(series, "general")


_TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "eng": (
        (
            "PLC控制系统",
            "船舶分段焊接工艺",
            "数控机床主轴",
            "变频调速系统",
            "钢结构厂房",
            "市政道路沥青路面",
            "桥梁预应力张拉",
            "污水处理厂曝气系统",
            "海水淡化装置",
            "轮胎硫化工艺",
            "工业机器人视觉定位",
            "港口岸桥起重机",
            "大体积混凝土温控",
            "高分子复合材料",
            "智能电网配电",
            "BIM技术",
            "水库大坝渗流监测",
            "海洋牧场网箱",
            "冷链物流仓储",
            "锂电池极片涂布",
        ),
        (
            "的设计与应用",
            "的优化研究",
            "在工程中的应用",
            "的故障分析与处理",
            "质量控制要点探讨",
            "施工技术研究",
            "节能改造实践",
            "的可靠性分析",
            "关键技术研究",
            "的检测方法研究",
        ),
    ),
    "health": (
        (
            "老年髋部骨折患者",
            "2型糖尿病患者",
            "急性心肌梗死",
            "慢性阻塞性肺疾病",
            "妊娠期高血压",
            "小儿肺炎支原体感染",
            "脑卒中后吞咽障碍",
            "腹腔镜胆囊切除术",
            "经皮冠状动脉介入治疗",
            "ICU呼吸机相关性肺炎",
            "社区高血压患者",
            "剖宫产术后",
            "幽门螺杆菌感染",
            "甲状腺结节",
        ),
        (
            "的护理干预效果观察",
            "临床疗效分析",
            "的危险因素分析",
            "的早期康复护理",
            "的诊治体会",
            "中应用快速康复理念的效果",
            "的健康管理模式探讨",
            "的影像学特点分析",
        ),
    ),
    "drug": (
        (
            "头孢类抗生素",
            "中药配方颗粒",
            "注射用无菌粉末",
            "片剂包衣工艺",
            "药品GMP",
            "原料药杂质",
            "医疗器械灭菌",
            "药品冷链运输",
        ),
        (
            "质量控制研究",
            "含量测定方法的建立",
            "生产工艺优化",
            "稳定性考察",
            "验证实践",
            "风险管理探讨",
        ),
    ),
    "teacher": (
        (
            "初中数学",
            "小学语文",
            "高中英语",
            "初中物理",
            "小学科学",
            "高中化学",
            "初中道德与法治",
            "小学数学",
            "高中生物",
            "初中历史",
            "中职机电专业",
            "小学音乐",
        ),
        (
            "大单元教学设计研究",
            "课堂提问策略探究",
            "作业分层设计实践",
            "核心素养培养路径",
            "项目式学习的实践",
            "情境教学的应用",
            "整本书阅读教学策略",
            "家校共育的实践探索",
        ),
    ),
    "finance": (
        (
            "制造企业",
            "行政事业单位",
            "中小企业",
            "国有企业",
            "商业银行",
            "医院",
            "高校",
            "建筑施工企业",
        ),
        (
            "全面预算管理研究",
            "内部控制体系建设",
            "成本核算方法探讨",
            "税务筹划实践",
            "财务共享服务中心建设",
            "绩效评价研究",
            "资金管理优化",
            "固定资产管理问题及对策",
        ),
    ),
    "agri": (
        ("苹果", "花生", "小麦", "大樱桃", "西洋参", "无花果", "海参", "生猪", "肉鸡", "奶牛"),
        (
            "高产栽培技术",
            "病虫害绿色防控技术",
            "标准化养殖技术",
            "疫病综合防控措施",
            "水肥一体化应用",
            "新品种引进与示范",
            "生态养殖模式探讨",
        ),
    ),
    "general": (
        (
            "基层文化馆",
            "档案数字化",
            "公共图书馆",
            "非物质文化遗产",
            "新闻采编",
            "体育训练",
            "融媒体中心",
            "博物馆藏品",
        ),
        ("服务能力提升研究", "管理工作实践", "创新路径探析", "工作的思考", "建设研究"),
    ),
}


def issn_check(first7: str) -> str:
    total = sum(int(d) * w for d, w in zip(first7, range(8, 1, -1), strict=True))
    c = (11 - total % 11) % 11
    return "X" if c == 10 else str(c)


@dataclass(frozen=True)
class Journal:
    """A periodical with its ISSN and 国内统一刊号 (CN); electronic ones are 电子期刊."""

    name: str
    issn7: str
    cn: str
    electronic: bool = False

    @property
    def issn(self) -> str:
        return f"{self.issn7[:4]}-{self.issn7[4:]}{issn_check(self.issn7)}"

    @property
    def bad_issn(self) -> str:
        """The ISSN with a wrong check character (a typo ACH-ISSN must catch)."""
        good = issn_check(self.issn7)
        wrong = "0123456789X"[("0123456789X".index(good) + 1) % 11]
        return f"{self.issn7[:4]}-{self.issn7[4:]}{wrong}"


JOURNALS: dict[str, tuple[Journal, ...]] = {
    "eng": (
        Journal("机械工程与自动化", "1672641", "CN 14-1319/TH"),
        Journal("现代制造技术与装备", "1673508", "CN 37-1444/TG"),
        Journal("山东工业技术", "1006773", "CN 37-1230/T"),
        Journal("中国设备工程", "1671071", "CN 11-4623/N"),
        Journal("建筑技术开发", "1001523", "CN 11-2730/TU"),
        Journal("山东水利", "1009674", "CN 37-1234/TV"),
        Journal("中国水运", "1006788", "CN 42-1395/U"),
        Journal("环境与发展", "2095672", "CN 15-1369/X"),
        Journal("船舶工程", "1000688", "CN 31-1281/U"),
        Journal("中国科技期刊数据库 工业A", "1671579", "CN 50-9212/N", True),
        Journal("建筑工程技术与设计", "2095621", "CN 11-9347/TU", True),
    ),
    "health": (
        Journal("山东医药", "1002266", "CN 37-1156/R"),
        Journal("齐鲁护理杂志", "1006759", "CN 37-1256/R"),
        Journal("中国实用护理杂志", "1672706", "CN 11-5517/R"),
        Journal("中华现代护理杂志", "1674289", "CN 11-5682/R"),
        Journal("临床医药文献电子杂志", "2095814", "CN 11-9358/R", True),
    ),
    "drug": (
        Journal("中国药事", "1002777", "CN 11-2858/R"),
        Journal("齐鲁药事", "1672722", "CN 37-1412/R"),
        Journal("中国现代应用药学", "1007776", "CN 33-1210/R"),
    ),
    "teacher": (
        Journal("山东教育", "1005572", "CN 37-1036/G4"),
        Journal("中学数学教学参考", "1002233", "CN 61-1014/G4"),
        Journal("小学语文教学", "1004616", "CN 14-1017/G4"),
        Journal("中小学英语教学与研究", "1002475", "CN 45-1039/G4"),
        Journal("教育界", "1674957", "CN 45-1376/G4"),
    ),
    "finance": (
        Journal("财会通讯", "1002857", "CN 42-1013/F"),
        Journal("商业会计", "1002590", "CN 11-1024/F"),
        Journal("中国集体经济", "1008109", "CN 11-3908/F"),
        Journal("财会学习", "1673473", "CN 11-5469/F"),
    ),
    "agri": (
        Journal("农业科技通讯", "1000688", "CN 11-1962/S"),
        Journal("山东畜牧兽医", "1007176", "CN 37-1212/S"),
        Journal("农业开发与装备", "1673963", "CN 32-1763/S"),
        Journal("烟台果树", "1005906", "CN 37-1218/S"),
    ),
    "general": (
        Journal("文化产业", "1674361", "CN 22-1389/G2"),
        Journal("兰台世界", "1006767", "CN 21-1339/G2"),
        Journal("图书馆工作与研究", "1005614", "CN 12-1128/G2"),
        Journal("新闻传播", "1672651", "CN 23-1241/G2"),
    ),
}


def paper_title(rng: random.Random, group: str) -> str:
    subjects, tails = _TOPICS.get(group, _TOPICS["general"])
    prefix = rng.choice(("", "", "浅谈", "基于实践的", "关于"))
    return f"{prefix}{rng.choice(subjects)}{rng.choice(tails)}"


def journal(rng: random.Random, group: str, *, electronic: bool | None = None) -> Journal:
    pool = JOURNALS.get(group, JOURNALS["general"])
    if electronic is not None:
        matching = [j for j in pool if j.electronic == electronic]
        pool = tuple(matching) or pool
    return rng.choice(pool)


PATENT_THINGS = (
    "焊接夹具",
    "管道检测装置",
    "输送带张紧机构",
    "海水过滤装置",
    "护理床",
    "输液架",
    "教学演示仪",
    "育苗盘",
    "饲喂装置",
    "桥梁检测车",
    "配电柜散热结构",
    "抽样器",
)

PROJECTS = (
    "威海市科技发展计划项目",
    "山东省重点研发计划（软科学）项目",
    "威海市医药卫生科技项目",
    "山东省教育科学规划课题",
    "威海市社会科学规划研究项目",
    "荣成市科技计划项目",
)

AWARDS = (
    "威海市科学技术进步奖三等奖",
    "山东省科学技术进步奖三等奖",
    "威海市优秀教学成果奖二等奖",
    "威海市先进个人",
    "山东省工程建设泰山杯奖",
    "威海市优质工程奖",
)

STANDARDS = ("团体标准", "地方标准", "企业标准")

_SUMMARY_OPENERS = {
    "eng": "本人自{start}参加工作以来，一直从事{specialty}方面的技术工作，任现职以来，"
    "在{unit}主要负责项目技术方案编制、施工（生产）过程质量控制和技术攻关工作。",
    "health": "本人自{start}参加工作以来，一直在{unit}从事{specialty}临床工作，任现职以来，"
    "坚持以病人为中心，认真落实医疗核心制度，业务能力不断提高。",
    "teacher": "本人自{start}参加工作以来，一直在{unit}从事{specialty}教学工作，任现职以来，"
    "担任班主任{years}年，坚持立德树人，积极参与教育教学改革。",
    "finance": "本人自{start}参加工作以来，一直在{unit}从事{specialty}工作，任现职以来，"
    "负责单位预算编制、会计核算、内部控制和财务分析等工作。",
    "agri": "本人自{start}参加工作以来，一直在{unit}从事{specialty}技术推广工作，任现职以来，"
    "深入田间地头开展技术指导和示范推广。",
}
_SUMMARY_BODY = (
    "一是加强理论学习。认真学习专业知识和相关政策法规，积极参加继续教育，每年完成规定学时，"
    "不断更新知识结构，专业水平和综合素质明显提高。",
    "二是注重业务实践。立足岗位实际，坚持理论联系实际，在工作中发现问题、分析问题、解决问题，"
    "先后参与完成多项重点工作任务，得到单位和同行的认可。",
    "三是开展技术创新。围绕工作中的难点和薄弱环节，牵头或参与技术改进和课题研究，"
    "总结形成论文和经验材料，相关成果在本单位推广应用，取得较好的经济效益和社会效益。",
    "四是发挥传帮带作用。积极指导青年同事开展工作，组织专题培训和业务交流，"
    "带动团队整体业务水平提升。",
    "五是严守职业道德。遵纪守法，爱岗敬业，服从安排，团结同事，任现职以来年度考核均为合格以上等次，"
    "其中{excellent}年被评为优秀。",
    "今后，本人将继续加强学习，努力提高业务能力，为单位和地方发展作出更大贡献。",
)


def work_summary(rng: random.Random, group: str, **fields: str) -> str:
    """A 工作成绩及表现 of 400–1100 characters, in the voice these summaries are written in."""
    opener = _SUMMARY_OPENERS.get(group, _SUMMARY_OPENERS["eng"])
    parts = [opener.format(**fields)]
    body = list(_SUMMARY_BODY[:-1])
    rng.shuffle(body)
    parts += body[: rng.randint(3, len(body))]
    parts.append(_SUMMARY_BODY[-1])
    return "\n".join(p.format(**fields) for p in parts)
