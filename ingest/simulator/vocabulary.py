"""Chinese wording for names, descriptions, topics and reasons: plausible, pseudonymous, no people."""

from __future__ import annotations

import random

UNIT_TYPES = (
    "government",
    "state_enterprise",
    "private_enterprise",
    "school",
    "hospital",
    "social_org",
    "other",
)
# Street-level joint meetings draw on district and city bodies; communities on their neighbours.
STREET_UNIT_TYPE_WEIGHTS = (45, 20, 10, 8, 7, 6, 4)
COMMUNITY_UNIT_TYPE_WEIGHTS = (12, 10, 30, 14, 6, 16, 12)

_UNIT_NAMES = {
    "government": (
        "秦都区{}局",
        (
            "住建",
            "城管",
            "民政",
            "卫健",
            "教育",
            "市场监管",
            "司法",
            "人社",
            "应急管理",
            "交通运输",
        ),
    ),
    "state_enterprise": (
        "咸阳{}公司",
        ("供电", "供水", "燃气", "热力", "公交", "邮政", "通信", "城投"),
    ),
    "private_enterprise": (
        "陕西{}有限公司",
        (
            "秦川机械",
            "渭河纺织",
            "丝路物流",
            "长兴建材",
            "华瑞电子",
            "泰和食品",
            "鼎盛置业",
            "宏远科技",
        ),
    ),
    "school": (
        "秦都区{}学校",
        ("第一小学", "第二中学", "实验小学", "渭滨中学", "育才小学", "职业技术"),
    ),
    "hospital": ("{}医院", ("秦都区人民", "咸阳市中心", "秦都区中医", "社区卫生服务中心附属")),
    "social_org": (
        "{}",
        ("业主委员会", "物业服务中心", "志愿者协会", "老年协会", "商会", "社会工作服务站"),
    ),
    "other": ("{}", ("驻区部队", "个体工商户联合会", "农贸市场管理处", "商业综合体")),
}

BUILDERS_HOME_UNIT_NAME = "建设者之家党支部（CEC项目）"
INDUSTRIAL_PARK_UNIT_NAME = "咸阳装备制造产业园党群服务中心"

# The contracts' category codes, in the order the generators draw them by (the seed year's
# weights follow it).
WISH_CATEGORIES = (
    "daily_help",
    "elderly_care",
    "child_care",
    "education",
    "health",
    "environment",
    "other",
)
POST_CATEGORIES = (
    "elderly_care",
    "environment",
    "safety",
    "culture",
    "education",
    "health",
    "other",
)
RESOURCE_CATEGORIES = ("venue", "funding", "expertise", "volunteers", "goods", "other")
TICKET_CATEGORIES = (
    "road_traffic",
    "environment",
    "property",
    "public_safety",
    "utilities",
    "enterprise_service",
    "social_service",
    "other",
)
TICKET_CATEGORY_WEIGHTS = (16, 18, 22, 10, 14, 3, 12, 5)

_TICKET_TEXT = {
    "road_traffic": (
        "小区门口路灯不亮",
        "路口缺少护栏和隔离带，行人过街不安全",
        "道路坑洼积水",
        "共享单车乱停占用盲道",
    ),
    "environment": ("施工扬尘影响居民生活", "垃圾清运不及时", "餐饮油烟扰民", "绿化带无人养护"),
    "property": ("楼道堆放杂物", "电梯经常故障", "物业费收支不透明", "屋顶漏水无人维修"),
    "public_safety": (
        "楼栋门禁损坏",
        "电动车楼道充电存在隐患",
        "邻里纠纷需要调解",
        "消防通道被占用",
    ),
    "utilities": ("停水未提前通知", "暖气不热", "燃气管道老化", "供电电压不稳"),
    "enterprise_service": (
        "企业用电增容办理缓慢",
        "园区道路施工影响企业运输",
        "企业用工招聘需要对接",
        "企业政策申报咨询",
    ),
    "social_service": (
        "独居老人需要定期探访",
        "社区养老餐桌开办咨询",
        "低保申请材料咨询",
        "儿童课后托管需求",
    ),
    "other": ("建议增设便民服务点", "咨询社区活动安排", "反映公共设施损坏", "建议增加健身器材"),
}

RESOLUTION_TEXT = (
    "已协调相关单位处理完毕",
    "已现场整改",
    "已联系责任单位维修",
    "经联席会议协调已解决",
    "已解释说明并落实",
)
REOPEN_REASONS = ("问题复发", "居民对处理结果不满意", "整改不彻底")
UNLINK_REASONS = ("单位迁出辖区", "单位撤并", "党组织关系转接")
WISH_CANCEL_REASONS = ("居民需求已由家人解决", "重复提交", "需求已变化", "居民搬离社区")

MEETING_TOPICS = (
    "辖区重要道路安装防护栏和隔离带",
    "老旧小区改造协调",
    "需求清单与资源清单对接",
    "在职党员志愿服务安排",
    "施工扬尘治理",
    "群众矛盾纠纷化解",
    "社区养老服务站建设",
    "网格化管理与一键通呼叫装置维护",
    "微心愿认领推进",
    "楼宇党小组活动安排",
)

BUILDING_SUFFIXES = ("号楼", "栋", "幢")


def unit_name(rng: random.Random, unit_type: str, n: int) -> str:
    template, stems = _UNIT_NAMES[unit_type]
    # The running number keeps names distinct enough to tell units apart on a dashboard.
    return f"{template.format(rng.choice(stems))}（{n}）"


def ticket_description(rng: random.Random, category: str) -> str:
    return rng.choice(_TICKET_TEXT[category])


def building_name(rng: random.Random, community_name: str) -> str:
    return f"{community_name}{rng.randint(1, 40)}{rng.choice(BUILDING_SUFFIXES)}"
