"""The schema files are the catalogue: every example in them behaves as it claims."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ingest_events import event
from pydantic import ValidationError

from ingest import contracts
from ingest.contracts.registry import SCHEMA_DIR

CATALOGUE = {
    "org": [
        "street_registered",
        "community_registered",
        "unit_linked",
        "unit_unlinked",
        "building_group_formed",
    ],
    "member": ["registered", "checked_in"],
    "meeting": ["scheduled", "held", "resolution_recorded"],
    "wish": ["posted", "claimed", "fulfilled", "cancelled"],
    "volunteer": ["post_published", "post_claimed", "hours_logged"],
    "resources": ["demand_listed", "supply_listed", "matched"],
    "ticket": ["opened", "assigned", "responded", "resolved", "rated", "reopened", "closed"],
    "assessment": ["quarterly_scored", "secretary_reviewed"],
    "quality": ["event_rejected"],
    "alert": ["raised", "delivered", "failed", "acknowledged", "resolved"],
}
ALL_TYPES = sorted(f"lianxi.{d}.{n}" for d, names in CATALOGUE.items() for n in names)
SCHEMA_FILES = sorted(SCHEMA_DIR.glob("*/*.v1.json"))


def _wrap(event_type: str, data: Any, subject: str = "x-1") -> dict[str, Any]:
    return {
        "id": "1",
        "source": "/test",
        "type": event_type,
        "specversion": "1.0",
        "time": "2026-01-01T00:00:00Z",
        "subject": subject,
        "data": data,
    }


def test_catalogue_is_complete() -> None:
    assert contracts.event_types() == ALL_TYPES
    assert contracts.domains() == sorted(CATALOGUE)
    assert len(SCHEMA_FILES) == len(ALL_TYPES)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_schema_file_shape(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) <= set(schema["properties"])
    assert schema["x-aggregate-id"] in schema["required"]
    assert schema["$id"] == contracts.dataschema_for(schema["x-event-type"])
    assert schema["examples"] and schema["x-invalid-examples"]
    # Bilingual descriptions: Chinese / English, on the schema and on every field.
    for node in [schema, *schema["properties"].values()]:
        zh, _, en = node["description"].partition(" / ")
        assert zh and en, node["description"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_valid_examples_pass(event_type: str) -> None:
    schema = contracts.schema_for(event_type)
    for example in schema["examples"]:
        assert contracts.validate_data(event_type, example) == []
        wrapped = _wrap(event_type, example, subject=example[schema["x-aggregate-id"]])
        assert contracts.validate_event(wrapped) == []
        contracts.model_for(event_type).model_validate(example)


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_invalid_examples_fail_with_their_rule(event_type: str) -> None:
    for bad in contracts.schema_for(event_type)["x-invalid-examples"]:
        violations = contracts.validate_data(event_type, bad["data"])
        assert (bad["path"], bad["rule"]) in {(v.field, v.rule) for v in violations}, violations
        # The same payload inside an envelope is reported under data.
        found = contracts.validate_event(_wrap(event_type, bad["data"]))
        assert (f"data.{bad['path']}", bad["rule"]) in {(v.field, v.rule) for v in found}


def test_envelope_examples() -> None:
    schema = contracts.envelope_schema()
    for example in schema["examples"]:
        assert contracts.validate_event(example) == []
        contracts.envelope_model().model_validate(example)
    for bad in schema["x-invalid-examples"]:
        found = {(v.field, v.rule) for v in contracts.validate_event(bad["data"])}
        assert (bad["path"], bad["rule"]) in found


def test_catalogue_rules_beyond_json_schema() -> None:
    ok = event("lianxi.ticket.resolved")
    assert contracts.validate_event(ok) == []
    wrong_subject = {**ok, "subject": "t-other"}
    assert [(v.field, v.rule) for v in contracts.validate_event(wrong_subject)] == [
        ("subject", "subject_matches_aggregate")
    ]
    wrong_schema = {**ok, "dataschema": "urn:lianxi:schema:ticket.opened:v1"}
    assert ("dataschema", "dataschema_matches_type") in {
        (v.field, v.rule) for v in contracts.validate_event(wrong_schema)
    }
    unknown = {**ok, "type": "lianxi.ticket.teleported"}
    assert [(v.field, v.rule) for v in contracts.validate_event(unknown)] == [
        ("type", "known_type")
    ]
    future = {**ok, "dataschema": "urn:lianxi:schema:ticket.resolved:v9"}
    assert [(v.field, v.rule) for v in contracts.validate_event(future)] == [
        ("dataschema", "known_version")
    ]
    assert [(v.field, v.rule) for v in contracts.validate_event([ok])] == [("", "type")]


def test_violations_name_field_and_rule() -> None:
    bad = event(
        "lianxi.meeting.held", attending_unit_ids=["u-1", 7], agenda_items=-1, minutes="secret"
    )
    bad["time"] = "2026-02-30T10:00:00Z"
    found = {(v.field, v.rule) for v in contracts.validate_event(bad)}
    assert found == {
        ("time", "format"),
        ("data.attending_unit_ids[1]", "type"),
        ("data.agenda_items", "minimum"),
        ("data.minutes", "additionalProperties"),
    }
    v = contracts.validate_event(bad)[0]
    assert v.as_dict().keys() == {"field", "rule", "message"} and v.message


def test_level_decides_community_id() -> None:
    street = event("lianxi.org.unit_linked")
    assert contracts.validate_event(street) == []
    community_without_id = event("lianxi.org.unit_linked", level="community")
    assert ("data.community_id", "type") in {
        (v.field, v.rule) for v in contracts.validate_event(community_without_id)
    }
    del community_without_id["data"]["community_id"]
    assert ("data.community_id", "required") in {
        (v.field, v.rule) for v in contracts.validate_event(community_without_id)
    }


def test_street_id_may_be_left_to_enrichment() -> None:
    ev = event("lianxi.wish.posted")
    del ev["data"]["street_id"]
    assert contracts.validate_event(ev) == []


def test_registry_lookups() -> None:
    assert contracts.domain_of("lianxi.volunteer.hours_logged") == "volunteer"
    assert contracts.topic_for("lianxi.volunteer.hours_logged") == "lianxi.volunteer"
    assert contracts.topic_for("lianxi.org.unit_linked", prefix="p.") == "p.lianxi.org"
    assert contracts.aggregate_field("lianxi.resources.matched") == "match_id"
    assert contracts.versions_of("lianxi.ticket.opened") == [1]
    assert "lianxi.deadletter" == contracts.DEADLETTER_TOPIC
    with pytest.raises(contracts.UnknownEventType):
        contracts.schema_for("lianxi.ticket.opened", major=2)
    with pytest.raises(contracts.UnknownEventType):
        contracts.domain_of("ticket.opened")


def test_models_are_typed_from_the_schema() -> None:
    model = contracts.model_for("lianxi.ticket.opened")
    example = contracts.schema_for("lianxi.ticket.opened")["examples"][0]
    ticket = model.model_validate(example)
    assert ticket.channel == "hotline"
    with pytest.raises(ValidationError):
        model.model_validate({**example, "channel": "fax"})
    with pytest.raises(ValidationError):
        model.model_validate({**example, "phone": "13800000000"})
    hours = contracts.model_for("lianxi.volunteer.hours_logged")
    with pytest.raises(ValidationError):
        hours.model_validate({"post_id": "p-1", "member_id": "m-1", "hours": 0})
    held = contracts.model_for("lianxi.meeting.held").model_validate(
        contracts.schema_for("lianxi.meeting.held")["examples"][0]
    )
    assert held.held_at.utcoffset() is not None


def test_fast_path_never_hides_a_violation() -> None:
    """validate_event first asks the validators' boolean is_valid; it may say "valid" only
    where the full error collection finds nothing, and otherwise returns exactly that."""
    from ingest.contracts.registry import _plainly_valid, _violations

    cases: list[Any] = [None, [], {}]
    for event_type in contracts.event_types():
        schema = contracts.schema_for(event_type)
        agg = contracts.aggregate_field(event_type)
        base = {
            "id": "e-1",
            "source": "/s",
            "type": event_type,
            "specversion": "1.0",
            "time": "2026-03-02T08:15:00+08:00",
            "dataschema": contracts.dataschema_for(event_type),
            "datacontenttype": "application/json",
        }
        for data in schema.get("examples", []):
            good = {**base, "subject": data[agg], "data": data}
            cases += [
                good,
                {**good, "subject": "other"},
                {**good, "dataschema": "urn:x"},
                {**good, "type": ["x"]},
                {**good, "dataschema": contracts.dataschema_for(event_type)[:-1] + "9"},
                {**good, "time": "yesterday"},
                {k: v for k, v in good.items() if k != "data"},
                {**good, "data": []},
                {**good, "extra": 1},
                {k: v for k, v in good.items() if k != "dataschema"},
            ]
        for bad in schema.get("x-invalid-examples", []):
            cases.append({**base, "subject": bad["data"].get(agg, "s"), "data": bad["data"]})
    plainly = 0
    for case in cases:
        full = _violations(case)
        if isinstance(case, dict) and _plainly_valid(case):
            plainly += 1
            assert full == [], case
        assert contracts.validate_event(case) == full, case
    assert plainly >= len(contracts.event_types())


def test_catalogue_names_are_looked_up_as_they_would_be_parsed():
    # domain_of and major_of answer catalogue names from a table; anything else is parsed.
    for event_type in contracts.event_types():
        assert contracts.domain_of(event_type) == event_type.split(".")[1]
        for major in contracts.versions_of(event_type):
            ds = contracts.dataschema_for(event_type, major)
            assert ds.endswith(f":v{major}") and contracts.major_of({"dataschema": ds}) == major
    assert contracts.domain_of("lianxi.garden.planted") == "garden"
    assert contracts.major_of({"dataschema": "urn:lianxi:schema:ticket.opened:v7"}) == 7
    assert contracts.major_of({"dataschema": "urn:other:vX"}) == 1
    assert contracts.major_of({"dataschema": 3}) == 1 and contracts.major_of({}) == 1
