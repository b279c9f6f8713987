"""After a quarter closes: every pack archived under var/reports/<quarter>/ with a manifest,
mailed once through a real SMTP server (aiosmtpd, started here), never rebuilt or re-sent."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from support.ports import free_port

from reports import archive
from reports.config import ReportsSettings
from reports.quarter import Quarter
from tests.dbt.private_warehouse import DbtWarehouse


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


def settings_for(server: DbtWarehouse, var_dir: Path, **extra: object) -> ReportsSettings:
    return ReportsSettings(
        env="development",
        var_dir=var_dir,
        warehouse_http_port=server.http_port,
        **extra,
    )


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_closed_quarter_is_archived_and_mailed_once(
    built_marts: DbtWarehouse, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(
        built_marts,
        tmp_path / "var",
        reports_smtp_host="127.0.0.1",
        reports_smtp_port=port,
        reports_mail_district_to="leader@lianxi.local, office@lianxi.local",
        reports_mail_street_to="secretary-{street_id}@lianxi.local",
    )
    now = at("2026-04-02T09:00:00+08:00")
    assert archive.due_quarter(now) == Quarter(2026, 1)
    outcome = archive.archive(settings, archive.due_quarter(now), now)
    assert outcome.status == "archived"
    folder = tmp_path / "var" / "reports" / "2026Q1"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    names = {"2026Q1-district.pdf", "2026Q1-s-01.pdf", "2026Q1-s-02.pdf"}
    assert {f["file"] for f in manifest["files"]} == names
    assert {p.name for p in folder.iterdir()} == names | {"manifest.json"}
    for entry in manifest["files"]:
        assert hashlib.sha256((folder / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    assert manifest["as_of"] == "2026-06-15T08:00:00+08:00"
    assert "超期率 v1" in manifest["definition_versions"] and manifest["weights_versions"] == [1]
    assert sorted(manifest["mailed"]) == sorted(names) == sorted(outcome.mailed)
    # one message per pack, to its recipients only, with the archived file attached
    assert len(inbox.messages) == 3
    by_file = {}
    for rcpts, message in inbox.messages:
        attachments = list(message.iter_attachments())
        assert len(attachments) == 1
        by_file[attachments[0].get_filename()] = (
            rcpts,
            attachments[0].get_content(),
            message["Subject"],
        )
    assert by_file["2026Q1-district.pdf"][0] == [
        "leader@lianxi.local",
        "office@lianxi.local",
    ]
    assert by_file["2026Q1-s-02.pdf"][0] == ["secretary-s-02@lianxi.local"]
    assert "2026年第一季度" in by_file["2026Q1-s-01.pdf"][2]
    for name, (_, content, _) in by_file.items():
        assert content == (folder / name).read_bytes()
    # again (the timer's next tick, a restart): nothing rebuilt, nothing re-sent
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = archive.archive(settings, Quarter(2026, 1), at("2026-05-01T00:00:00+08:00"))
    assert (again.status, again.mailed) == ("already_archived", [])
    assert len(inbox.messages) == 3
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps


def test_a_pack_not_mailed_yet_is_mailed_on_the_next_run(
    built_marts: DbtWarehouse, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    now = at("2026-04-02T09:00:00+08:00")
    without_mail = settings_for(built_marts, tmp_path / "var")
    assert archive.archive(without_mail, Quarter(2026, 1), now).status == "archived"
    assert inbox.messages == []
    with_mail = settings_for(
        built_marts,
        tmp_path / "var",
        reports_smtp_host="127.0.0.1",
        reports_smtp_port=port,
        reports_mail_district_to="leader@lianxi.local",
    )
    outcome = archive.archive(with_mail, Quarter(2026, 1), now)
    assert (outcome.status, outcome.mailed) == (
        "already_archived",
        ["2026Q1-district.pdf"],
    )
    assert len(inbox.messages) == 1
    assert archive.archive(with_mail, Quarter(2026, 1), now).mailed == []
    assert len(inbox.messages) == 1


def test_a_quarter_is_not_archived_before_it_closes_and_dbt_has_built_past_it(
    built_marts: DbtWarehouse, tmp_path: Path
) -> None:
    settings = settings_for(built_marts, tmp_path / "var")
    # still running in Shanghai (23:59 on 30 June)
    early = archive.archive(settings, Quarter(2026, 2), at("2026-06-30T23:59:00+08:00"))
    # closed, but the marts are as of 2026-06-15: the pack would miss the quarter's end
    stale = archive.archive(settings, Quarter(2026, 2), at("2026-07-02T00:00:00+08:00"))
    assert (early.status, stale.status) == ("not_due", "not_due")
    assert "wait for dbt" in stale.detail
    assert not (tmp_path / "var" / "reports").exists() or not any(
        (tmp_path / "var" / "reports").iterdir()
    )
