"""The raw DDL is derived from the contracts, committed, and means what it says."""

import json

import pytest
from chdb import session as chdb_session

from ingest import contracts
from streams import rawschema


def test_committed_migrations_are_what_the_contracts_generate():
    files = rawschema.migration_files()
    assert len(files) == len(rawschema.DOMAINS) + 1
    for name, content in files.items():
        path = rawschema.MIGRATIONS_DIR / name
        assert path.is_file(), f"{name} missing: run python -m streams.rawschema --write"
        assert path.read_text(encoding="utf-8") == content, (
            f"{name} is stale: run python -m streams.rawschema --write"
        )


def test_check_mode_reports_nothing_stale(capsys):
    assert rawschema.main(["--check"]) == 0
    assert '"stale": []' in capsys.readouterr().out


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
    for name, content in sorted(rawschema.migration_files().items()):
        sess.query(content.rstrip().rstrip(";"))
    yield sess
    sess.close()


def _columns(sess, table):
    out = sess.query(
        f"SELECT name, type FROM system.columns WHERE database='raw' AND table='{table}' "
        "ORDER BY position", "JSONCompact",
    )
    return [tuple(r) for r in json.loads(str(out))["data"]]


@pytest.mark.parametrize("domain", rawschema.DOMAINS)
def test_created_table_has_the_derived_columns(chdb, domain):
    table = rawschema.raw_tables()[domain]
    assert _columns(chdb, table.name) == table.columns()
    engine = str(chdb.query(
        f"SELECT engine_full FROM system.tables WHERE database='raw' AND name='{table.name}'",
        "TabSeparated"))
    assert "ReplacingMergeTree(ingested_at)" in engine
    assert "ORDER BY (street_id, community_id, subject, source, event_id)" in engine


def test_dead_letters_table(chdb):
    assert _columns(chdb, "dead_letters") == list(rawschema.DEAD_LETTER_COLUMNS)


def test_a_retried_batch_with_the_same_token_is_not_loaded_twice(chdb):
    table = rawschema.raw_tables()["ticket"]
    cols = ", ".join(table.insert_columns())
    insert = (
        f"INSERT INTO raw.{table.name} ({cols}) SETTINGS insert_deduplication_token='t:0:1-1', "
        "async_insert=0 SELECT * FROM generateRandom('" +
        ", ".join(f"`{n}` {t}" for n, t in table.columns() if n != "ingested_at")
        .replace("'", "\\'") +
        "', 1) LIMIT 3"
    )
    chdb.query(insert)
    chdb.query(insert)
    assert str(chdb.query(f"SELECT count() FROM raw.{table.name}", "TabSeparated")).strip() == "3"
