"""Who is told about an alert: recipients per org unit from alerts/recipients.yaml.

The unit follows from the alert's stage, as the dashboards' row-level security follows the
org tree: community → the ticket's community, street → its street, district → the district.
An alert goes only to the recipients of that one unit, so a secretary never receives another
unit's tickets. A feed alert (stage owner) goes to the owner of the publishing system: the
recipients `feeds.owners` lists for its source, else one made from `feeds.defaults` with the
owner's contact from the source_cadences seed, else (a system nobody registered)
`feeds.unregistered`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CHANNELS = ("email", "wecom", "dingtalk", "webhook")
WEBHOOK_KINDS = ("wecom", "dingtalk", "webhook")
SLUG = re.compile(r"[^A-Za-z0-9]+")
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


def source_slug(source: str) -> str:
    """`/systems/hotline-12345` → `systems-hotline-12345`: a source as a recipient id part."""
    return SLUG.sub("-", source).strip("-")


def _fill(value: Any, fills: dict[str, str]) -> str:
    text = str(value)
    for name, fill in fills.items():
        text = text.replace("{" + name + "}", fill)
    return text


def _recipient(
    entry: Any, where: str, unit: str = "", fills: dict[str, str] | None = None
) -> Recipient:
    if not isinstance(entry, dict):
        raise RoutingError(f"{where}: a recipient is a mapping with id, email, webhooks")
    fills = {"unit": unit, **(fills or {})}
    rid = _fill(entry.get("id", ""), fills)
    if not RECIPIENT_ID.match(rid):
        raise RoutingError(
            f"{where}: id {rid!r} must be letters, digits, . _ : - (it is recorded in events)"
        )
    targets: list[Target] = []
    if entry.get("email"):
        address = _fill(entry["email"], fills)
        if address:  # a feed owner registered without a contact has no e-mail target
            targets.append(Target("email", address))
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
        targets.append(Target(kind, _fill(hook["url"], fills), secret))
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
    # feed alerts: recipients per publishing system, the default from the owner's contact,
    # and who hears of a system no one registered
    feed_owners: dict[str, tuple[Recipient, ...]] = field(default_factory=dict)
    feed_defaults: dict[str, Any] | None = None
    feed_unregistered: tuple[Recipient, ...] = ()

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
        feeds = doc.get("feeds") or {}
        if not isinstance(feeds, dict):
            raise RoutingError("feeds: a mapping with owners, defaults, unregistered")
        feed_owners = {
            str(source): tuple(
                _recipient(e, f"feeds.owners.{source}[{i}]") for i, e in enumerate(entries or [])
            )
            for source, entries in (feeds.get("owners") or {}).items()
        }
        feed_defaults = feeds.get("defaults")
        if feed_defaults is not None:
            _recipient(
                feed_defaults,
                "feeds.defaults",
                fills={"source": "systems-x", "owner_contact": "owner@example.org"},
            )
        feed_unregistered = tuple(
            _recipient(e, f"feeds.unregistered[{i}]")
            for i, e in enumerate(feeds.get("unregistered") or [])
        )
        return cls(district, units, defaults, feed_owners, feed_defaults, feed_unregistered)

    def feed_recipients(self, source: str, owner_contact: str) -> tuple[Recipient, ...]:
        """The owner of one publishing system, and nobody else."""
        if source in self.feed_owners:
            return self.feed_owners[source]
        if not owner_contact:
            return self.feed_unregistered
        if self.feed_defaults is None:
            return ()
        fills = {"source": source_slug(source), "owner_contact": owner_contact}
        return (_recipient(self.feed_defaults, "feeds.defaults", fills=fills),)

    def unit_recipients(self, unit: str) -> tuple[Recipient, ...]:
        if unit in self.units:
            return self.units[unit]
        if self.defaults is None or not unit:
            return ()
        return (_recipient(self.defaults, "defaults", unit),)

    def recipients(
        self, stage: str, street_id: str, community_id: str, feed: dict[str, str] | None = None
    ) -> tuple[Recipient, ...]:
        """The recipients of one stage of one alert, and nobody else."""
        if stage == "owner":
            feed = feed or {}
            return self.feed_recipients(feed.get("source", ""), feed.get("owner_contact", ""))
        if stage == "community":
            return self.unit_recipients(community_id)
        if stage == "street":
            return self.unit_recipients(street_id)
        if stage == "district":
            return self.district
        raise ValueError(f"unknown stage {stage!r}")

    def find(
        self,
        recipient_id: str,
        stage: str,
        street_id: str,
        community_id: str,
        feed: dict[str, str] | None = None,
    ) -> Recipient | None:
        return next(
            (
                r
                for r in self.recipients(stage, street_id, community_id, feed)
                if r.id == recipient_id
            ),
            None,
        )
