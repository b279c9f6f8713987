"""Migrations: ordered, applied once, recorded, refused when edited after the fact."""

from pathlib import Path

import pytest
from support.process import run_lianxi
from support.warehouse import PrivateWarehouse

from warehouse.errors import QueryError
from warehouse.migrate import apply_migrations, discover, http_runner
from warehouse.statement import split_statements


def test_split_statements_respects_quotes_and_comments() -> None:
    sql = "-- a; comment\nCREATE TABLE a (s String DEFAULT ';') ENGINE = Memory;\n/* ; */ SELECT 'x;y';\n  ;\n"
    assert split_statements(sql) == [
        "CREATE TABLE a (s String DEFAULT ';') ENGINE = Memory",
        "SELECT 'x;y'",
    ]


def test_discover_orders_by_file_name() -> None:
    found = discover()
    assert found[0].path.name == "20261125000000_create_databases.sql"
    assert [m.path.name for m in found] == sorted(m.path.name for m in found)


def test_migrations_apply_once_in_order(wh_limits: PrivateWarehouse, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "20990101000000_create_mig_db.sql").write_text(
        "CREATE DATABASE IF NOT EXISTS mig_test;\n"
    )
    (folder / "20990101000100_create_mig_table.sql").write_text(
        "CREATE TABLE IF NOT EXISTS mig_test.t (a UInt8) ENGINE = MergeTree ORDER BY a;\n"
        "INSERT INTO mig_test.t VALUES (1);\n"
    )
    run = http_runner(wh_limits.url, "lianxi_admin", "dev-admin")
    assert list(apply_migrations(run, folder)) == [
        "applied     20990101000000_create_mig_db.sql",
        "applied     20990101000100_create_mig_table.sql",
    ]
    assert all(line.startswith("up to date") for line in apply_migrations(run, folder))
    assert wh_limits.post("SELECT count() FROM mig_test.t").text == "1\n"  # the INSERT ran once
    (folder / "20990101000100_create_mig_table.sql").write_text("SELECT 1;\n")
    with pytest.raises(QueryError, match="changed after it was applied"):
        list(apply_migrations(run, folder))


def test_lianxi_warehouse_migrate_cli(wh: PrivateWarehouse) -> None:
    out = run_lianxi(
        {
            "LIANXI_ENV": "development",
            "LIANXI_WAREHOUSE_HTTP_PORT": str(wh.http_port),
            "LIANXI_WAREHOUSE_NATIVE_PORT": str(wh.native_port),
        },
        *("warehouse", "migrate"),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    # The session fixture started with --migrate, so everything is already there.
    *migrations, users = out.stdout.splitlines()
    assert all(line.startswith("up to date") for line in migrations)
    assert (
        users == "users bound to their roles"
    )  # the embedded server accepts the binding it already has
    assert "20261125000000_create_databases.sql" in out.stdout
    databases = set(wh.post("SELECT name FROM system.databases").text.split())
    assert {"raw", "staging", "intermediate", "marts"} <= databases
    recorded = wh.post("SELECT count() FROM default.schema_migrations").text
    assert int(recorded) == len(discover())


def test_lianxi_warehouse_serve_migrates_serves_and_stops_cleanly(private_wh) -> None:
    wh = private_wh(LIANXI_WAREHOUSE_NATIVE_ENABLED="false").start(cli=True)
    assert (
        wh.post(
            "SELECT count() FROM system.databases WHERE name IN ('raw', 'staging', 'intermediate', 'marts')"
        ).text
        == "4\n"
    )
    assert wh.stop() == 0


def test_a_contract_gaining_a_field_migrates_a_loaded_raw_table(
    private_wh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #15: the generator's new ALTER migration upgrades a table that already holds rows."""
    import copy
    import shutil

    from streams import rawschema

    wh = private_wh(LIANXI_WAREHOUSE_NATIVE_ENABLED="false").start()  # the committed migrations
    table = rawschema.raw_tables()["ticket"]
    old_columns = [name for name, _ in table.columns()]
    structure = ", ".join(f"`{n}` {t}" for n, t in table.columns() if n != "ingested_at")
    insert = (
        f"INSERT INTO raw.ticket_events ({', '.join(table.insert_columns())}) "
        "SETTINGS async_insert=0, max_partitions_per_insert_block=0 "
        "SELECT * FROM generateRandom('" + structure.replace("'", "\\'") + "', 15) LIMIT 20"
    )
    wh.post(insert).raise_for_status()
    select = f"SELECT {', '.join(old_columns)} FROM raw.ticket_events ORDER BY event_id, kafka_offset FORMAT TSV"
    rows_before = wh.post(select).text
    assert rows_before.count("\n") == 20

    # A contract change: lianxi.ticket.opened gains an optional field.
    real = rawschema.load_schemas

    def load() -> dict:
        out = copy.deepcopy(real())
        for _name, _major, schema in (s for s in out["ticket"] if s[0] == "lianxi.ticket.opened"):
            rawschema.data_schema_of(schema)["properties"]["escalation_note"] = {"type": "string"}
        return out

    folder = tmp_path / "migrations"
    shutil.copytree(rawschema.MIGRATIONS_DIR, folder)
    originals = {p.name: p.read_bytes() for p in folder.iterdir()}
    monkeypatch.setattr(rawschema, "load_schemas", load)
    monkeypatch.setattr(rawschema, "MIGRATIONS_DIR", folder)
    rawschema.raw_tables.cache_clear()
    try:
        assert rawschema.main(["--write"]) == 0
        wanted = rawschema.raw_tables()["ticket"].columns()
    finally:
        rawschema.raw_tables.cache_clear()
    [new] = {p.name for p in folder.iterdir()} - set(originals)
    assert new.endswith("_alter_raw_ticket_events.sql")
    assert all((folder / name).read_bytes() == content for name, content in originals.items())

    run = http_runner(wh.url, "lianxi_admin", "dev-admin")
    applied = list(apply_migrations(run, folder))
    assert applied[-1] == f"applied     {new}"
    assert all(line.startswith("up to date") for line in applied[:-1])  # nothing else re-run
    columns = wh.post(
        "SELECT name, type FROM system.columns WHERE database = 'raw' AND table = 'ticket_events' "
        "ORDER BY position FORMAT JSONCompact"
    ).json()["data"]
    assert [tuple(c) for c in columns] == wanted
    assert wh.post(select).text == rows_before  # same rows, same values
    assert (
        wh.post("SELECT countIf(escalation_note IS NULL), count() FROM raw.ticket_events").text
        == "20\t20\n"
    )
