"""Records -> raw rows and dead letters (no services needed)."""

import json

import pytest

from ingest import contracts
from streams import deadletters, envelope
from streams.enrichment import OrgRegistry
from streams.rawschema import raw_tables
from streams.rows import Record, dedup_token, epoch_ms, prepare
from tests.streams.events import encode, example_data, make_event, ticket_lifecycle

MAX = 64 * 1024


def rec(
    value: bytes | None,
    offset: int = 0,
    topic: str = "lianxi.ticket",
    partition: int = 0,
    headers=(),
) -> Record:
    return Record(topic, partition, offset, b"k", value, headers)


@pytest.mark.parametrize("event_type", contracts.event_types())
def test_every_catalogue_type_loads_into_its_domain_table(event_type):
    domain = contracts.domain_of(event_type)
    event = make_event(event_type)
    batch = prepare(domain, [rec(encode(event), topic=f"lianxi.{domain}")], OrgRegistry(), MAX)
    assert batch.dead_letters == []
    assert len(batch.rows) == 1
    row = dict(zip(batch.columns, batch.rows[0], strict=True))
    assert row["event_id"] == event["id"] and row["type"] == event_type
    assert row["schema_version"] == 1
    assert json.loads(row["data"]) == event["data"]
    data = event["data"]
    assert row["community_id"] == (data.get("community_id") or "")
    if data.get("street_id"):
        assert row["street_id"] == data["street_id"]
    for column in raw_tables()[domain].data_columns:
        value = row[column.name]
        if column.kind == "strings":
            assert value == data.get(column.name, [])
        elif column.kind == "datetime" and data.get(column.name):
            assert value == epoch_ms(envelope.parse_time(data[column.name]))
        else:
            assert value == data.get(column.name)


def test_street_is_enriched_from_registry_then_from_the_id_convention():
    registry = OrgRegistry()
    registry.learn({"community_id": "c-77-01", "street_id": "s-09"})
    data = example_data("lianxi.member.registered") | {"community_id": "c-77-01"}
    data.pop("street_id")
    other = dict(data, member_id="m-2", community_id="c-03-04")
    batch = prepare(
        "member",
        [
            rec(encode(make_event("lianxi.member.registered", data, "a")), topic="lianxi.member"),
            rec(
                encode(make_event("lianxi.member.registered", other, "b")), 1, topic="lianxi.member"
            ),
        ],
        registry,
        MAX,
    )
    streets = [dict(zip(batch.columns, r, strict=True))["street_id"] for r in batch.rows]
    assert streets == ["s-09", "s-03"]


def test_org_batch_teaches_the_registry_before_later_events():
    registry = OrgRegistry()
    reg = {"community_id": "c-99-01", "street_id": "s-05", "name_zh": "测试社区"}
    batch = prepare(
        "org",
        [rec(encode(make_event("lianxi.org.community_registered", reg)), topic="lianxi.org")],
        registry,
        MAX,
    )
    assert batch.dead_letters == [] and registry.street_of("c-99-01") == "s-05"


@pytest.mark.parametrize(
    ("value", "code", "field"),
    [
        (b"{not json", envelope.NOT_JSON, ""),
        (b"[1, 2]", envelope.INVALID_ENVELOPE, ""),
        (
            encode(make_event("lianxi.ticket.opened") | {"type": "lianxi.ticket.exploded"}),
            envelope.UNKNOWN_TYPE,
            "type",
        ),
        (
            encode(
                make_event(
                    "lianxi.ticket.opened",
                    example_data("lianxi.ticket.opened") | {"channel": "fax"},
                )
            ),
            envelope.SCHEMA_VIOLATION,
            "data.channel",
        ),
        (
            encode(make_event("lianxi.ticket.opened") | {"time": "yesterday"}),
            envelope.INVALID_ENVELOPE,
            "time",
        ),
        (encode(make_event("lianxi.wish.posted")), envelope.WRONG_TOPIC, "type"),
        (b"x" * (MAX + 1), envelope.OVERSIZED, ""),
        # catalogue rules name an envelope attribute but are schema violations (README)
        (
            encode(make_event("lianxi.ticket.opened") | {"subject": "t-someone-else"}),
            envelope.SCHEMA_VIOLATION,
            "subject",
        ),
        (
            encode(
                make_event("lianxi.ticket.opened")
                | {"dataschema": contracts.dataschema_for("lianxi.ticket.closed")}
            ),
            envelope.SCHEMA_VIOLATION,
            "dataschema",
        ),
        # ... unless an attribute is also missing or malformed
        (
            encode(make_event("lianxi.ticket.opened") | {"subject": "t-else", "time": "yesterday"}),
            envelope.INVALID_ENVELOPE,
            "subject",
        ),
    ],
    ids=[
        "not_json",
        "not_object",
        "unknown_type",
        "bad_enum",
        "bad_time",
        "wrong_topic",
        "oversized",
        "subject_not_aggregate",
        "dataschema_of_other_type",
        "subject_and_bad_time",
    ],
)
def test_poison_records_become_dead_letters_with_field_and_rule(value, code, field):
    batch = prepare("ticket", [rec(value, 7)], OrgRegistry(), MAX)
    assert batch.rows == []
    [dl] = batch.dead_letters
    assert dl.rejection.error_code == code
    assert field in [v["field"] for v in dl.rejection.violations]
    assert all(set(v) == {"field", "rule", "message"} for v in dl.rejection.violations)


def test_poison_does_not_stop_the_rest_of_the_batch():
    good = [encode(e) for e in ticket_lifecycle(5)]
    values = good[:7] + [b"\xff\xfe garbage"] + good[7:]
    batch = prepare("ticket", [rec(v, i) for i, v in enumerate(values)], OrgRegistry(), MAX)
    assert len(batch.rows) == 15 and len(batch.dead_letters) == 1


def test_binary_mode_cloudevents_are_accepted():
    event = make_event("lianxi.ticket.responded", {"ticket_id": "t-9"})
    headers = [
        (f"ce_{k}", str(v).encode())
        for k, v in event.items()
        if k not in ("data", "datacontenttype")
    ] + [("content-type", b"application/json")]
    batch = prepare(
        "ticket", [rec(json.dumps(event["data"]).encode(), headers=headers)], OrgRegistry(), MAX
    )
    assert batch.dead_letters == [] and len(batch.rows) == 1


def test_out_of_range_integer_is_a_dead_letter_not_a_failed_insert():
    data = example_data("lianxi.org.unit_linked") | {"party_members": 2**70}
    batch = prepare(
        "org",
        [rec(encode(make_event("lianxi.org.unit_linked", data)), topic="lianxi.org")],
        OrgRegistry(),
        MAX,
    )
    assert batch.rows == [] and batch.dead_letters[0].rejection.violations[0]["rule"] == "int64"


def test_dedup_token_names_each_partition_range():
    records = [rec(b"", o, partition=p) for p, o in [(1, 5), (0, 3), (1, 9), (0, 4)]]
    assert dedup_token(records) == "lianxi.ticket:0:3-4,lianxi.ticket:1:5-9"


def test_a_batch_extended_chunk_by_chunk_is_the_batch_of_all_its_records():
    # Replay parses each fetched chunk and inserts the chunks of a domain as one batch: same
    # rows, dead letters and deduplication token as one prepare over all of them.
    events = ticket_lifecycle(6)
    records = [rec(encode(e), offset=10 + i, partition=i % 2) for i, e in enumerate(events)]
    records.insert(7, rec(b"not json", offset=99, partition=1))
    whole = prepare("ticket", records, OrgRegistry(), MAX)
    chunked = prepare("ticket", records[:5], OrgRegistry(), MAX)
    for start in (5, 10, 15):
        chunked.extend(prepare("ticket", records[start : start + 5], OrgRegistry(), MAX))
    assert chunked.rows == whole.rows and chunked.records == len(records) == 19
    assert [d.record.offset for d in chunked.dead_letters] == [99]
    assert chunked.token == whole.token == dedup_token(records)
    assert chunked.token == "lianxi.ticket:0:10-26,lianxi.ticket:1:11-99"


def test_dead_letter_round_trips_through_the_topic_format():
    batch = prepare("ticket", [rec(b"\xffnot json", 42, partition=2)], OrgRegistry(), MAX)
    key, value, headers = deadletters.to_message(batch.dead_letters[0])
    row = deadletters.to_row(Record("lianxi.deadletter", 0, 5, key, value, headers))
    named = dict(zip(deadletters.COLUMNS, row, strict=True))
    assert (named["topic"], named["partition"], named["offset"]) == ("lianxi.ticket", 2, 42)
    assert named["raw_value"] == b"\xffnot json" and named["error_code"] == envelope.NOT_JSON
    assert json.loads(named["error"])[0]["rule"] == "json"


def test_foreign_message_on_the_dead_letter_topic_is_kept_not_dropped():
    row = deadletters.to_row(Record("lianxi.deadletter", 1, 8, None, b"?", []))
    named = dict(zip(deadletters.COLUMNS, row, strict=True))
    assert named["error_code"] == deadletters.INVALID_DEAD_LETTER
    assert (named["topic"], named["partition"], named["offset"]) == ("lianxi.deadletter", 1, 8)


def test_epoch_ms_is_exact_on_both_sides_of_1970():
    assert epoch_ms(envelope.parse_time("1970-01-01T00:00:00.001Z")) == 1
    assert epoch_ms(envelope.parse_time("1969-12-31T23:59:59.250Z")) == -750
    assert epoch_ms(envelope.parse_time("2026-03-31T16:00:00.999+08:00")) == 1774944000999


def _binary(event):
    """A binary-mode CloudEvent: data as the value, the attributes as ce_* headers."""
    headers = [
        (f"ce_{k}", str(v).encode())
        for k, v in event.items()
        if k not in ("data", "datacontenttype")
    ] + [("content-type", b"application/json")]
    return json.dumps(event["data"], ensure_ascii=False).encode(), headers


def test_a_binary_mode_dead_letter_keeps_its_event_headers_for_replay():
    # Issue #17: without its ce_* headers the row cannot be replayed as the event it was.
    event = make_event("lianxi.ticket.responded", {"ticket_id": "t-9"}, event_id="bin-1")
    value, headers = _binary(event)
    [dl] = prepare("ticket", [rec(value, 7, headers=headers)], OrgRegistry(), 8).dead_letters
    key, dl_value, dl_headers = deadletters.to_message(dl)
    row = dict(
        zip(
            deadletters.COLUMNS,
            deadletters.to_row(Record("lianxi.deadletter", 0, 3, key, dl_value, dl_headers)),
            strict=True,
        )
    )
    assert row["headers"] == {k: v.decode() for k, v in headers}
    assert not any(k.startswith("lianxi-dl-") for k in row["headers"])
    # Replay sends the same headers again (plus where it came from), and the record they
    # make parses as the original event now that the size limit is the default.
    replayed = deadletters.replay_headers(row, original=deadletters.original_headers(row))
    assert sorted(replayed[:-1]) == sorted(headers)
    assert replayed[-1] == (deadletters.H_REPLAYED_FROM, b"lianxi.ticket:0:7")
    again = prepare(
        "ticket", [rec(dl_value, 8, headers=deadletters.original_headers(row))], OrgRegistry(), MAX
    )
    assert again.dead_letters == [] and len(again.rows) == 1


def test_a_structured_dead_letter_has_no_event_headers():
    batch = prepare("ticket", [rec(b"\xffnot json", 1)], OrgRegistry(), MAX)
    key, value, headers = deadletters.to_message(batch.dead_letters[0])
    row = dict(
        zip(
            deadletters.COLUMNS,
            deadletters.to_row(Record("lianxi.deadletter", 0, 1, key, value, headers)),
            strict=True,
        )
    )
    assert row["headers"] == {} and deadletters.original_headers(row) == []


def test_worker_metrics_count_each_source_and_type_and_bound_the_labels():
    from prometheus_client import REGISTRY

    from streams import metrics

    def value(**labels: str) -> float:
        return REGISTRY.get_sample_value("lianxi_stream_source_events_total", labels) or 0.0

    good = [encode(e) for e in ticket_lifecycle(2)]  # 6 events of the hotline's source
    hostile = make_event("lianxi.ticket.opened", example_data("lianxi.ticket.opened"))
    hostile["type"], hostile["source"] = "lianxi.ticket.invented", "\x00" * 500
    batch = prepare(
        "ticket", [rec(v, i) for i, v in enumerate([*good, encode(hostile)])], OrgRegistry(), MAX
    )
    source, kind = json.loads(good[0])["source"], json.loads(good[0])["type"]
    before = value(source=source, type=kind, outcome="loaded", reason="")
    metrics.count_sources(batch)
    loaded = sum(1 for v in good if json.loads(v)["type"] == kind)
    assert value(source=source, type=kind, outcome="loaded", reason="") - before == loaded
    code = batch.dead_letters[0].rejection.error_code
    assert value(source="unknown", type="unknown", outcome="dead_letter", reason=code) >= 1


def test_worker_metrics_take_a_dead_letter_whose_type_is_not_a_string():
    from streams import metrics

    odd = make_event("lianxi.ticket.opened", example_data("lianxi.ticket.opened"))
    odd["type"] = ["lianxi.ticket.opened"]
    batch = prepare("ticket", [rec(encode(odd), 0)], OrgRegistry(), MAX)
    assert len(batch.dead_letters) == 1
    metrics.count_sources(batch)  # no TypeError: an unhashable claimed type counts as unknown
