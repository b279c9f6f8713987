"""Quarters as the joint meeting names them: `2026Q3`, Shanghai calendar."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
PATTERN = re.compile(r"^(\d{4})Q([1-4])$")
ORDINALS = {1: "一", 2: "二", 3: "三", 4: "四"}


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        match = PATTERN.match(text.strip().upper())
        if not match:
            raise ValueError(f"quarter {text!r} is not YYYYQn (e.g. 2026Q3)")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def containing(cls, moment: datetime) -> "Quarter":
        local = moment.astimezone(SHANGHAI)
        return cls(local.year, (local.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def label(self) -> str:
        return f"{self.year}年第{ORDINALS[self.number]}季度"

    @property
    def period(self) -> str:
        """As the marts write it (fct_rankings.period)."""
        return f"{self.year}-Q{self.number}"

    def next(self) -> "Quarter":
        return Quarter(self.year + self.number // 4, self.number % 4 + 1)

    def previous(self) -> "Quarter":
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    @property
    def ends_at(self) -> datetime:
        """The instant the quarter closes: 00:00 Shanghai on the next quarter's first day."""
        following = self.next().start
        return datetime(following.year, following.month, following.day, tzinfo=SHANGHAI)

    @property
    def last_day(self) -> date:
        return self.next().start - timedelta(days=1)
