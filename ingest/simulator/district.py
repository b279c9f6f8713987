"""Qindu District's streets and communities: the fixed scope every simulated event lives in."""

from __future__ import annotations

from dataclasses import dataclass

# Real Qindu street (街道) names, in the order of their ids s-01..s-09.
STREET_NAMES = (
    "西兰路街道",
    "渭阳西路街道",
    "人民路街道",
    "吴家堡街道",
    "陈杨寨街道",
    "古渡街道",
    "钓台街道",
    "马泉街道",
    "渭滨街道",
)

# Plausible community (社区) name stems, nine per street in street order; not the real list.
COMMUNITY_STEMS = (
    "西兰",
    "团结",
    "北苑",
    "文汇",
    "秦皇",
    "朝阳",
    "东风",
    "民生",
    "金桥",
    "渭阳",
    "滨河",
    "玉泉",
    "清渭",
    "光明",
    "育才",
    "长兴",
    "华阳",
    "双照",
    "人民",
    "和平",
    "建设",
    "世纪",
    "新兴",
    "红旗",
    "桃园",
    "华兴",
    "锦绣",
    "吴家堡",
    "阳光",
    "彩虹",
    "永安",
    "安康",
    "幸福",
    "德馨",
    "向阳",
    "紫薇",
    "陈杨寨",
    "花园",
    "翠竹",
    "绿洲",
    "天王",
    "咸通",
    "星火",
    "振兴",
    "联盟",
    "古渡",
    "五星",
    "福园",
    "康乐",
    "益民",
    "湖滨",
    "枫林",
    "银杏",
    "南郊",
    "钓台",
    "长庆",
    "文林",
    "信义",
    "杨家",
    "钓鱼台",
    "马家",
    "东阳",
    "泉源",
    "马泉",
    "双泉",
    "沣东",
    "渭柳",
    "沙河",
    "白庙",
    "石村",
    "韩家湾",
    "宝泉",
    "渭滨",
    "西郊",
    "嘉禾",
    "瑞泽",
    "丰收",
    "金泉",
    "银河",
    "东明",
    "统一",
)
COMMUNITIES_PER_STREET = 9


@dataclass(frozen=True)
class Street:
    street_id: str
    name_zh: str


@dataclass(frozen=True)
class Community:
    community_id: str
    street_id: str
    name_zh: str


def street_id(n: int) -> str:
    return f"s-{n:02d}"


def community_id(street: int, n: int) -> str:
    return f"c-{street:02d}-{n:02d}"


def street_of(community: str) -> str:
    """c-05-02 -> s-05: the id scheme carries the street, as enrichment in streams relies on."""
    return f"s-{community[2:4]}"


def streets() -> list[Street]:
    return [Street(street_id(i + 1), name) for i, name in enumerate(STREET_NAMES)]


def communities() -> list[Community]:
    out = []
    for s in range(1, len(STREET_NAMES) + 1):
        for c in range(1, COMMUNITIES_PER_STREET + 1):
            stem = COMMUNITY_STEMS[(s - 1) * COMMUNITIES_PER_STREET + c - 1]
            out.append(Community(community_id(s, c), street_id(s), f"{stem}社区"))
    return out
