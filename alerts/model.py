"""An alert as the service plans, records and sends it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

KIND_ZH = {
    "ticket_response_overdue": "工单响应超期",
    "ticket_resolution_overdue": "工单办结超期",
    "meeting_missing": "联席会议未按期召开",
    "feed_new_error_code": "数据源新错误类型",
    "feed_rejection_rate": "数据源拒收率超阈值",
    "feed_silent": "数据源静默",
}
# The escalation ladder of ticket and meeting alerts; a feed alert has the one stage "owner"
# (the publishing system's owner: a data problem is theirs to fix, not a secretary's).
STAGES = ("community", "street", "district")
STAGE_ZH = {
    "community": "社区书记",
    "street": "街道书记",
    "district": "区级",
    "owner": "数据源负责人",
}
# marts.fct_feed_issues.kind → alert kind
FEED_KINDS = {
    "new_error_code": "feed_new_error_code",
    "rejection_rate": "feed_rejection_rate",
    "silent": "feed_silent",
}


@dataclass
class Alert:
    alert_id: str
    kind: str
    stage: str
    street_id: str
    community_id: str  # '' for a street meeting alert
    subject: str  # ticket id, `<level>:<unit>/<period>` for a meeting, the issue id for a feed
    due_at: datetime  # UTC
    definition_version: int
    ticket_id: str | None = None
    period: str | None = None
    escalated_from: str | None = None
    recipients: list[str] = field(default_factory=list)
    raised_at: datetime | None = None
    # what the message shows about the ticket
    category: str = ""
    channel: str = ""
    # a feed alert: its marts.fct_feed_issues row (issue_id, source, source_zh, kind_zh,
    # detail_text, opened_text, owner_name, owner_contact)
    feed: dict[str, str] = field(default_factory=dict)

    @property
    def chain(self) -> str:
        """Alerts of one chain (community → street → district) share this key: an
        acknowledgement or resolution of any of them ends the chain."""
        return f"{self.kind}|{self.subject}|v{self.definition_version}"
