"""Who is told about an alert: recipients per org unit from alerts/recipients.yaml.

The unit follows from the alert's stage, as the dashboards' row-level security follows the
org tree: community → the ticket's community, street → its street, district → the district.
An alert goes only to the recipients of that one unit, so a secretary never receives another
unit's tickets.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CHANNELS = ("email", "wecom", "dingtalk", "webhook")
WEBHOOK_KINDS = ("wecom", "dingtalk", "webhook")
UNIT = re.compile(r"^(s-[0-9]{2}|c-[0-9]{2}-[0-9]{2})$")
RECIPIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")


class RoutingError(ValueError):
    """The recipients file is not usable; the message names the entry and what to fix."""


@dataclass(frozen=True)
class Target:
    """One way to reach one recipient."""

    channel: str  # email | wecom | dingtalk | webhook
    address: str  # e-mail address or URL
    secret: str = ""  # DingTalk signing secret (from the environment)


@dataclass(frozen=True)
class Recipient:
    id: str
    targets: tuple[Target, ...]


def _recipient(entry: Any, where: str, unit: str = "") -> Recipient:
    if not isinstance(entry, dict):
        raise RoutingError(f"{where}: a recipient is a mapping with id, email, webhooks")
    rid = str(entry.get("id", "")).replace("{unit}", unit)
    if not RECIPIENT_ID.match(rid):
        raise RoutingError(
            f"{where}: id {rid!r} must be letters, digits, . _ : - (it is recorded in events)"
        )
    targets: list[Target] = []
    if entry.get("email"):
        targets.append(Target("email", str(entry["email"]).replace("{unit}", unit)))
    for i, hook in enumerate(entry.get("webhooks") or []):
        kind = hook.get("kind") if isinstance(hook, dict) else None
        if kind not in WEBHOOK_KINDS or not hook.get("url"):
            raise RoutingError(
                f"{where}.webhooks[{i}]: needs kind ({', '.join(WEBHOOK_KINDS)}) and url"
            )
        secret = ""
        if hook.get("secret_env"):
            secret = os.environ.get(str(hook["secret_env"]), "")
            if not secret:
                raise RoutingError(
                    f"{where}.webhooks[{i}]: environment variable {hook['secret_env']} is not set"
                )
        targets.append(Target(kind, str(hook["url"]).replace("{unit}", unit), secret))
    channels = [t.channel for t in targets]
    if len(set(channels)) != len(channels):
        raise RoutingError(f"{where}: at most one target per channel (one delivery record each)")
    if not targets:
        raise RoutingError(f"{where}: recipient {rid} has neither email nor webhooks")
    return Recipient(rid, tuple(targets))


@dataclass(frozen=True)
class Routing:
    district: tuple[Recipient, ...]
    units: dict[str, tuple[Recipient, ...]]
    defaults: dict[str, Any] | None

    @classmethod
    def load(cls, path: Path) -> Routing:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise RoutingError(f"{path}: cannot read the recipients file ({exc})") from None
        district = tuple(
            _recipient(e, f"district[{i}]") for i, e in enumerate(doc.get("district") or [])
        )
        units: dict[str, tuple[Recipient, ...]] = {}
        for unit, entries in (doc.get("units") or {}).items():
            if not UNIT.match(str(unit)):
                raise RoutingError(f"units.{unit}: not a street (s-01) or community (c-01-02) id")
            units[str(unit)] = tuple(
                _recipient(e, f"units.{unit}[{i}]", str(unit)) for i, e in enumerate(entries or [])
            )
        defaults = doc.get("defaults")
        if defaults is not None:
            _recipient(defaults, "defaults", "s-01")  # fail at load, not at the first alert
        return cls(district, units, defaults)

    def unit_recipients(self, unit: str) -> tuple[Recipient, ...]:
        if unit in self.units:
            return self.units[unit]
        if self.defaults is None or not unit:
            return ()
        return (_recipient(self.defaults, "defaults", unit),)

    def recipients(self, stage: str, street_id: str, community_id: str) -> tuple[Recipient, ...]:
        """The recipients of one stage of one alert, and nobody else."""
        if stage == "community":
            return self.unit_recipients(community_id)
        if stage == "street":
            return self.unit_recipients(street_id)
        if stage == "district":
            return self.district
        raise ValueError(f"unknown stage {stage!r}")

    def find(
        self, recipient_id: str, stage: str, street_id: str, community_id: str
    ) -> Recipient | None:
        return next(
            (r for r in self.recipients(stage, street_id, community_id) if r.id == recipient_id),
            None,
        )
