"""Deterministic alert ids: the same ticket (or meeting period), kind, stage and definition
version give the same id on every run, after a restart or a Kafka replay, so an alert is
raised once per ticket and stage."""

import uuid

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:lianxi:alerts")


def alert_id(kind: str, subject: str, stage: str, definition_version: int) -> str:
    """`subject` is the ticket id, or `<unit>/<period>` for a meeting alert."""
    return "al-" + uuid.uuid5(NAMESPACE, f"{kind}|{subject}|{stage}|v{definition_version}").hex


def feed_alert_id(kind: str, issue_id: str) -> str:
    """A feed alert: one per issue of marts.fct_feed_issues, whatever version of the
    source_cadences seed judged it (the version is recorded in the alert, not in its id)."""
    return alert_id(kind, issue_id, "owner", 0)
