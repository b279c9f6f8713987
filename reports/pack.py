"""One quarterly briefing pack: read the marts, render the HTML, print the PDF."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reports import marts, render
from reports.config import ReportsSettings
from reports.quarter import Quarter


@dataclass
class Built:
    path: Path
    street_id: str
    unit_name: str
    as_of: datetime
    definitions: list[str]
    weights_versions: list[int]

    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def build(
    settings: ReportsSettings,
    quarter: Quarter,
    street_id: str,
    out: Path,
    client: Any | None = None,
) -> Built:
    """Write the pack of the district (street_id '') or of one street to out."""
    client = client or marts.connect(settings)
    data = marts.load(client, quarter, street_id, settings.reports_district_name)
    page = render.html(data, generated_at=datetime.now(UTC))
    render.pdf(page, out, settings.reports_chromium)
    return Built(
        out,
        street_id,
        data.unit_name,
        data.as_of,
        render.definition_versions(data),
        data.weights_versions,
    )
