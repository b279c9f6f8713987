"""What a recipient reads: Chinese text for e-mail and the robots' markdown, with the ticket
(or meeting period), the deadline in Shanghai time, hours overdue and the acknowledgement
link. Only this alert's unit is named: one message, one unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from alerts.model import KIND_ZH, STAGE_ZH, Alert
from core import ack_links

SHANGHAI = ZoneInfo("Asia/Shanghai")
CATEGORY_ZH = {
    "road_traffic": "道路交通",
    "environment": "环境卫生",
    "property": "物业管理",
    "public_safety": "公共安全",
    "utilities": "水电气暖",
    "enterprise_service": "企业服务",
    "social_service": "社会事务",
    "other": "其他",
}


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    markdown: str
    ack_url: str


def ack_url(base_url: str, secret: str, alert_id: str, recipient: str) -> str:
    sig = ack_links.signature(secret, alert_id, recipient)
    return f"{base_url.rstrip('/')}/v1/alerts/{alert_id}/ack?recipient={quote(recipient)}&sig={sig}"


def shanghai(ts: datetime) -> str:
    return ts.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def render(alert: Alert, recipient: str, now: datetime, base_url: str, secret: str) -> Message:
    url = ack_url(base_url, secret, alert.alert_id, recipient)
    hours = max(0.0, (now - alert.due_at).total_seconds() / 3600)
    unit = alert.community_id or alert.street_id
    kind = KIND_ZH[alert.kind]
    escalated = "（上级督办：下级未在规定时间内确认）" if alert.escalated_from else ""
    if alert.feed:
        feed = alert.feed
        what = feed.get("source_zh") or feed.get("source", "")
        lines = [
            f"预警类型：{kind}",
            f"数据源：{what}（{feed.get('source', '')}）",
            f"情况：{feed.get('detail_text', '')}",
            f"发现时间：{feed.get('opened_text') or shanghai(alert.due_at)}（北京时间）",
            f"负责单位：{feed.get('owner_name') or '（未登记）'}",
            f"口径：source_cadences 第 {alert.definition_version} 版（送数频率与拒收率阈值）",
            f"问题编号：{feed.get('issue_id', '')}",
            "处理：请检查发送系统；明细见“数据质量”看板，修复后重发被拒事件",
        ]
    elif alert.ticket_id:
        what = f"工单 {alert.ticket_id}"
        lines = [
            f"预警类型：{kind}{escalated}",
            f"工单编号：{alert.ticket_id}",
            f"所属单位：街道 {alert.street_id}，社区 {alert.community_id}",
            f"诉求类别：{CATEGORY_ZH.get(alert.category, alert.category or '未知')}",
            f"{'响应' if alert.kind == 'ticket_response_overdue' else '办结'}期限：{shanghai(alert.due_at)}（北京时间）",
            f"已超期：{hours:.1f} 小时",
            f"时限口径：ticket_deadlines 第 {alert.definition_version} 版",
        ]
    else:
        what = f"{unit} {alert.period} 联席会议"
        lines = [
            f"预警类型：{kind}{escalated}",
            f"单位：{unit}（{'街道，每季度一次' if not alert.community_id else '社区，每月一次'}）",
            f"周期：{alert.period}，截止 {shanghai(alert.due_at)}（北京时间）",
            f"距截止：{max(0.0, (alert.due_at - now).total_seconds() / 3600):.1f} 小时，本周期尚未召开联席会议",
        ]
    lines.append(f"通知对象：{STAGE_ZH[alert.stage]}")
    subject = f"【联席预警】{kind}：{what}"
    text = "\n".join(
        [
            subject,
            "",
            *lines,
            "",
            f"确认收到{'' if alert.feed else '（确认后不再向上级督办）'}：{url}",
            f"预警编号：{alert.alert_id}",
        ]
    )
    markdown = "\n".join(
        [
            f"### {subject}",
            *[f"> {line}" for line in lines],
            "",
            f"[确认收到]({url})",
            f"预警编号：{alert.alert_id}",
        ]
    )
    return Message(subject, text, markdown, url)
