"""After a quarter closes: the district's and every street's pack under
var/reports/<quarter>/ with manifest.json, then mailed (optional).

Idempotent: a quarter whose directory exists is never rebuilt; a pack listed under
"mailed" in its manifest is never mailed again. The packs are built in a hidden sibling
directory and renamed into place whole, so a crash mid-build leaves no half archive (the next
run starts that quarter again). Mailing is at least once per pack: a crash after the SMTP
server accepted a message and before the manifest recorded it sends that one pack again.
"""

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reports import mail, marts, pack
from reports.config import ReportsSettings
from reports.quarter import SHANGHAI, Quarter

MANIFEST = "manifest.json"


@dataclass
class Outcome:
    quarter: Quarter
    status: str  # archived | already_archived | not_due
    directory: Path
    mailed: list[str] = field(default_factory=list)
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "quarter": str(self.quarter),
            "status": self.status,
            "directory": str(self.directory),
            "mailed": self.mailed,
            "detail": self.detail,
        }


def due_quarter(now: datetime) -> Quarter:
    """The latest quarter that has closed (Shanghai calendar) at now."""
    return Quarter.containing(now).previous()


def file_name(quarter: Quarter, street_id: str) -> str:
    return f"{quarter}-{street_id or 'district'}.pdf"


def write_json(path: Path, document: dict[str, Any]) -> None:
    partial = path.with_suffix(".json.partial")
    partial.write_text(
        json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True),
        encoding="utf-8",
    )
    os.replace(partial, path)


def archive(
    settings: ReportsSettings,
    quarter: Quarter,
    now: datetime,
    client: Any | None = None,
) -> Outcome:
    target = settings.reports_dir / str(quarter)
    if (target / MANIFEST).exists():
        outcome = Outcome(quarter, "already_archived", target)
    else:
        client = client or marts.connect(settings)
        if now < quarter.ends_at:
            return Outcome(
                quarter,
                "not_due",
                target,
                detail=f"{quarter} closes at {quarter.ends_at.isoformat()}",
            )
        built_as_of = marts.as_of(client)
        if built_as_of is None or built_as_of < quarter.ends_at:
            built = built_as_of.astimezone(SHANGHAI).isoformat() if built_as_of else "never"
            return Outcome(
                quarter,
                "not_due",
                target,
                detail=f"the marts were built as of {built}, before {quarter} closed: wait for dbt",
            )
        _build_all(settings, quarter, target, client)
        outcome = Outcome(quarter, "archived", target)
    if mail.enabled(settings):
        outcome.mailed = _mail_unsent(settings, quarter, target)
    return outcome


def _build_all(settings: ReportsSettings, quarter: Quarter, target: Path, client: Any) -> None:
    staging = target.with_name(f".{quarter}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    units = [""] + [s["street_id"] for s in marts.streets(client)]
    packs = [
        pack.build(
            settings,
            quarter,
            street_id,
            staging / file_name(quarter, street_id),
            client,
        )
        for street_id in units
    ]
    district = packs[0]  # the district's pack covers every KPI and weights version used
    write_json(
        staging / MANIFEST,
        {
            "quarter": str(quarter),
            "as_of": district.as_of.astimezone(SHANGHAI).isoformat(),
            "generated_at": datetime.now(UTC).astimezone(SHANGHAI).isoformat(),
            "definition_versions": district.definitions,
            "weights_versions": district.weights_versions,
            "files": [
                {
                    "file": p.path.name,
                    "street_id": p.street_id or None,
                    "unit": p.unit_name,
                    "sha256": p.sha256(),
                    "bytes": p.path.stat().st_size,
                }
                for p in packs
            ],
            "mailed": [],
        },
    )
    os.replace(staging, target)


def _mail_unsent(settings: ReportsSettings, quarter: Quarter, target: Path) -> list[str]:
    manifest_path = target / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    sent_now = []
    for entry in manifest["files"]:
        if entry["file"] in manifest["mailed"]:
            continue
        to = mail.recipients(settings, entry["street_id"] or "")
        if not to:
            continue
        mail.send(
            settings,
            to,
            f"{entry['unit']} {quarter.label} 联席会议季度简报",
            f"{entry['unit']} {quarter.label}联席会议季度简报见附件（数据截至 {manifest['as_of']}）。\n"
            f"SHA-256: {entry['sha256']}\n",
            target / entry["file"],
        )
        manifest["mailed"].append(entry["file"])
        write_json(manifest_path, manifest)
        sent_now.append(entry["file"])
    return sent_now
