"""The raw DDL is derived from the contracts, committed, and means what it says."""

import copy
import json
import shutil
from datetime import UTC, datetime

import pytest
from chdb import session as chdb_session

from ingest import contracts
from streams import rawschema
from warehouse.migrate import split_statements


def test_committed_migrations_need_nothing_more():
    assert rawschema.pending_migrations() == {}, "run python -m streams.rawschema --write"


def test_check_mode_reports_nothing_stale(capsys):
    assert rawschema.main(["--check"]) == 0
    assert '"stale": []' in capsys.readouterr().out


def _with_field(prop: str, node: dict, event_type: str = "lianxi.ticket.opened"):
    """load_schemas with one more data property on one event type (a contract change)."""
    real = rawschema.load_schemas

    def load():
        out = copy.deepcopy(real())
        for domain_schemas in out.values():
            for name, _major, schema in domain_schemas:
                if name == event_type:
                    rawschema.data_schema_of(schema)["properties"][prop] = node
        return out

    return load


@pytest.fixture
def migrations_copy(tmp_path, monkeypatch):
    """A copy of warehouse/migrations that the generator writes into, and fresh raw_tables."""
    folder = tmp_path / "migrations"
    shutil.copytree(rawschema.MIGRATIONS_DIR, folder)
    monkeypatch.setattr(rawschema, "MIGRATIONS_DIR", folder)
    rawschema.raw_tables.cache_clear()
    yield folder
    rawschema.raw_tables.cache_clear()


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_new_optional_field_gets_one_new_alter_migration(migrations_copy, monkeypatch, capsys):
    before = _snapshot(migrations_copy)
    monkeypatch.setattr(
        rawschema, "load_schemas", _with_field("escalation_note", {"type": "string"})
    )
    now = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    monkeypatch.setattr(
        rawschema, "_next_stamp", lambda d, _now, real=rawschema._next_stamp: real(d, now)
    )
    assert rawschema.main(["--check"]) == 1
    assert rawschema.main(["--write"]) == 0
    after = _snapshot(migrations_copy)
    [new] = set(after) - set(before)
    assert new == "20270102030405_alter_raw_ticket_events.sql"
    assert {n: after[n] for n in before} == before  # every existing file byte-identical
    sql = after[new].decode()
    assert (
        "ALTER TABLE raw.ticket_events ADD COLUMN IF NOT EXISTS `escalation_note` "
        "Nullable(String) AFTER `description`;" in sql
    )
    # Written once: the next run sees the column in the ALTER file and wants nothing more.
    assert rawschema.pending_migrations() == {}
    assert rawschema.main(["--write"]) == 0 and _snapshot(migrations_copy) == after
    capsys.readouterr()


def test_a_new_stamp_sorts_after_every_existing_migration(tmp_path):
    (tmp_path / "20300101000000_create_x.sql").write_text("")
    assert rawschema._next_stamp(tmp_path, datetime(2027, 1, 1, tzinfo=UTC)) == "20300101000001"
    assert rawschema._next_stamp(tmp_path, datetime(2031, 1, 1, tzinfo=UTC)) == "20310101000000"


def test_a_retyped_column_is_refused(migrations_copy, monkeypatch, capsys):
    before = _snapshot(migrations_copy)
    # ticket_id may be null in one ticket type now: String -> Nullable(String) would rewrite data.
    monkeypatch.setattr(
        rawschema, "load_schemas", _with_field("ticket_id", {"type": ["string", "null"]})
    )
    message = "raw.ticket_events.ticket_id would change from String to Nullable(String)"
    assert rawschema.main(["--write"]) == 1
    error = json.loads(capsys.readouterr().err)
    assert error["error"] == "breaking_change" and message in error["message"]
    assert "new event version" in error["message"]
    assert _snapshot(migrations_copy) == before


def test_a_removed_column_is_refused(migrations_copy, monkeypatch):
    # A column that a migration created but no contract derives any more.
    (migrations_copy / "20990101000000_alter_raw_wish_events.sql").write_text(
        "ALTER TABLE raw.wish_events ADD COLUMN IF NOT EXISTS `gone` Nullable(String) AFTER `data`;\n"
    )
    with pytest.raises(rawschema.BreakingChangeError, match=r"raw\.wish_events\.gone .* no longer"):
        rawschema.pending_migrations()


def test_every_data_property_has_exactly_one_column_per_domain():
    tables = rawschema.raw_tables()
    for event_type in contracts.event_types():
        table = tables[contracts.domain_of(event_type)]
        names = {c.name for c in table.data_columns} | set(rawschema.SCOPE_FIELDS)
        assert set(contracts.schema_for(event_type)["properties"]) <= names
        assert event_type in table.event_types


def test_nullability_follows_the_layout_rules():
    ticket = {c.name: c for c in rawschema.raw_tables()["ticket"].data_columns}
    assert ticket["ticket_id"].ch_type == "String"  # required by every ticket type
    assert ticket["channel"].ch_type == "LowCardinality(Nullable(String))"
    meeting = {c.name: c for c in rawschema.raw_tables()["meeting"].data_columns}
    assert meeting["attending_unit_ids"].ch_type == "Array(String)"  # never Nullable
    assert meeting["held_at"].ch_type == "Nullable(DateTime64(3, 'UTC'))"
    member = {c.name: c for c in rawschema.raw_tables()["member"].data_columns}
    assert member["in_service"].ch_type == "Nullable(Bool)"
    volunteer = {c.name: c for c in rawschema.raw_tables()["volunteer"].data_columns}
    assert volunteer["hours"].ch_type == "Nullable(Float64)"


@pytest.fixture(scope="module")
def chdb(tmp_path_factory):
    sess = chdb_session.Session(str(tmp_path_factory.mktemp("chdb")))
    sess.query("CREATE DATABASE IF NOT EXISTS raw")
    # The committed files themselves, creates and later ALTERs, in the order migrate applies them.
    for path in sorted(rawschema.MIGRATIONS_DIR.glob("*_raw_*.sql")):
        for statement in split_statements(path.read_text(encoding="utf-8")):
            sess.query(statement)
    yield sess
    sess.close()


def _columns(sess, table):
    out = sess.query(
        f"SELECT name, type FROM system.columns WHERE database='raw' AND table='{table}' "
        "ORDER BY position",
        "JSONCompact",
    )
    return [tuple(r) for r in json.loads(str(out))["data"]]


@pytest.mark.parametrize("domain", rawschema.DOMAINS)
def test_created_table_has_the_derived_columns(chdb, domain):
    table = rawschema.raw_tables()[domain]
    assert _columns(chdb, table.name) == table.columns()
    engine = str(
        chdb.query(
            f"SELECT engine_full FROM system.tables WHERE database='raw' AND name='{table.name}'",
            "TabSeparated",
        )
    )
    assert "ReplacingMergeTree(ingested_at)" in engine
    assert "ORDER BY (street_id, community_id, subject, source, event_id)" in engine


def test_dead_letters_table(chdb):
    assert _columns(chdb, "dead_letters") == list(rawschema.DEAD_LETTER_COLUMNS)


def test_a_retried_batch_with_the_same_token_is_not_loaded_twice(chdb):
    table = rawschema.raw_tables()["ticket"]
    cols = ", ".join(table.insert_columns())
    insert = (
        f"INSERT INTO raw.{table.name} ({cols}) SETTINGS insert_deduplication_token='t:0:1-1', "
        "async_insert=0 SELECT * FROM generateRandom('"
        + ", ".join(f"`{n}` {t}" for n, t in table.columns() if n != "ingested_at").replace(
            "'", "\\'"
        )
        + "', 1) LIMIT 3"
    )
    chdb.query(insert)
    chdb.query(insert)
    assert str(chdb.query(f"SELECT count() FROM raw.{table.name}", "TabSeparated")).strip() == "3"
