"""An alert as the service plans, records and sends it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

STAGES = ("community", "street", "district")
KIND_ZH = {
    "ticket_response_overdue": "工单响应超期",
    "ticket_resolution_overdue": "工单办结超期",
    "meeting_missing": "联席会议未按期召开",
}
STAGE_ZH = {"community": "社区书记", "street": "街道书记", "district": "区级"}


@dataclass
class Alert:
    alert_id: str
    kind: str
    stage: str
    street_id: str
    community_id: str  # '' for a street meeting alert
    subject: str  # ticket id, or `<level>:<unit>/<period>` for a meeting
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

    @property
    def chain(self) -> str:
        """Alerts of one chain (community → street → district) share this key: an
        acknowledgement or resolution of any of them ends the chain."""
        return f"{self.kind}|{self.subject}|v{self.definition_version}"
