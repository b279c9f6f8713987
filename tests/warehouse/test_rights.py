"""Roles over HTTP: each role can do its job and nothing beyond it."""

import httpx
import pytest
from support.warehouse import ADMIN, PASSWORDS, PrivateWarehouse

from warehouse.config import ROLES, WarehouseSettings
from warehouse.users import Users


@pytest.fixture(scope="module")
def tables(wh: PrivateWarehouse) -> None:
    for sql in (
        "CREATE TABLE IF NOT EXISTS raw.r_events (id UInt64) ENGINE = MergeTree ORDER BY id",
        "CREATE TABLE IF NOT EXISTS marts.r_fct (id UInt64) ENGINE = MergeTree ORDER BY id",
        "CREATE TABLE IF NOT EXISTS staging.r_stg (id UInt64) ENGINE = MergeTree ORDER BY id",
        "INSERT INTO raw.r_events VALUES (1)",
        "INSERT INTO marts.r_fct VALUES (2)",
    ):
        wh.post(sql).raise_for_status()


def run(wh: PrivateWarehouse, user: str, sql: str, **params: str) -> httpx.Response:
    return httpx.post(
        f"{wh.url}/", params=params, content=sql.encode(), auth=(user, PASSWORDS[user]), timeout=60
    )


ALLOWED = [
    ("lianxi_writer", "INSERT INTO raw.r_events VALUES (3)"),
    ("lianxi_writer", "SELECT count() FROM raw.r_events"),
    ("lianxi_transformer", "SELECT count() FROM raw.r_events"),
    (
        "lianxi_transformer",
        "CREATE TABLE IF NOT EXISTS staging.r_new ENGINE = MergeTree ORDER BY id AS SELECT id FROM raw.r_events",
    ),
    ("lianxi_transformer", "INSERT INTO staging.r_stg SELECT id FROM raw.r_events"),
    ("lianxi_transformer", "CREATE DATABASE IF NOT EXISTS intermediate"),
    ("lianxi_transformer", "DROP TABLE IF EXISTS staging.r_new"),
    ("lianxi_reader", "SELECT count() FROM marts.r_fct"),
    ("lianxi_reader", "WITH x AS (SELECT id FROM marts.r_fct) SELECT count() FROM x"),
    ("lianxi_reader", "SELECT name FROM system.tables WHERE database = 'marts'"),
    (
        "lianxi_analyst",
        "SELECT (SELECT count() FROM raw.r_events) + (SELECT count() FROM marts.r_fct)",
    ),
    ("lianxi_admin", "CREATE TABLE IF NOT EXISTS raw.r_admin (a UInt8) ENGINE = Memory"),
]
DENIED = [
    ("lianxi_writer", "CREATE TABLE raw.r_x (a UInt8) ENGINE = Memory", 497),
    ("lianxi_writer", "SELECT count() FROM marts.r_fct", 497),
    ("lianxi_writer", "INSERT INTO marts.r_fct VALUES (9)", 497),
    ("lianxi_writer", "DROP TABLE raw.r_events", 497),
    ("lianxi_writer", "SYSTEM FLUSH LOGS", 497),
    ("lianxi_transformer", "INSERT INTO raw.r_events VALUES (9)", 497),
    ("lianxi_transformer", "DROP TABLE raw.r_events", 497),
    ("lianxi_transformer", "RENAME TABLE raw.r_events TO staging.stolen", 497),
    ("lianxi_transformer", "SELECT * FROM file('/etc/passwd', 'LineAsString')", 497),
    ("lianxi_reader", "SELECT count() FROM raw.r_events", 497),
    ("lianxi_reader", "SELECT * FROM marts.r_fct WHERE id IN (SELECT id FROM raw.r_events)", 497),
    ("lianxi_reader", "SELECT * FROM merge('raw', '.*')", 497),
    ("lianxi_reader", "INSERT INTO marts.r_fct VALUES (9)", 164),
    ("lianxi_reader", "DROP TABLE marts.r_fct", 164),
    ("lianxi_analyst", "INSERT INTO raw.r_events VALUES (9)", 164),
    ("lianxi_analyst", "ALTER TABLE marts.r_fct DELETE WHERE 1", 164),
]


@pytest.mark.parametrize(("user", "sql"), ALLOWED)
def test_role_can_do_its_job(wh: PrivateWarehouse, tables: None, user: str, sql: str) -> None:
    response = run(wh, user, sql)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("user", "sql", "code"), DENIED)
def test_role_cannot_go_beyond(
    wh: PrivateWarehouse, tables: None, user: str, sql: str, code: int
) -> None:
    response = run(wh, user, sql)
    assert response.status_code == 403, response.text
    assert response.headers["x-clickhouse-exception-code"] == str(code)


def test_unqualified_names_resolve_in_the_current_database(
    wh: PrivateWarehouse, tables: None
) -> None:
    assert run(wh, "lianxi_reader", "SELECT count() FROM r_fct", database="marts").text == "1\n"
    assert (
        run(wh, "lianxi_reader", "SELECT count() FROM r_events", database="raw").status_code == 403
    )


def test_readonly_roles_cannot_lift_readonly(wh: PrivateWarehouse, tables: None) -> None:
    response = run(wh, "lianxi_reader", "SELECT 1", readonly="0")
    assert response.text == "1\n"  # the parameter is ignored, never honoured upwards
    response = run(wh, "lianxi_reader", "INSERT INTO marts.r_fct VALUES (1)", readonly="0")
    assert response.status_code == 403
    assert (
        httpx.post(
            f"{wh.url}/?readonly=1", content=b"INSERT INTO marts.r_fct VALUES (1)", auth=ADMIN
        ).status_code
        == 403
    )


def test_no_failed_write_leaves_rows(wh: PrivateWarehouse, tables: None) -> None:
    assert wh.post("SELECT count() FROM marts.r_fct").text == "1\n"


def test_no_passwordless_user_in_development_either(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANXI_ENV", "development")
    dev = Users.from_settings(WarehouseSettings(_env_file=None))
    with pytest.raises(Exception, match="516"):
        dev.authenticate(None, None)
    with pytest.raises(Exception, match="516"):
        dev.authenticate("default", "")


def test_placeholder_secrets_refused_outside_development() -> None:
    import os

    strong = {f"LIANXI_WAREHOUSE_{r.upper()}_PASSWORD": f"s3cret-{r.upper()}" for r in ROLES}
    old = dict(os.environ)
    try:
        os.environ.pop("LIANXI_ENV", None)  # unset means production
        os.environ.update(strong)
        prod = Users.from_settings(WarehouseSettings())
        assert prod.authenticate("lianxi_writer", "s3cret-WRITER").role.name == "lianxi_writer_role"
        os.environ["LIANXI_WAREHOUSE_READER_PASSWORD"] = "dev-reader"
        with pytest.raises(ValueError, match="LIANXI_WAREHOUSE_READER_PASSWORD"):
            Users.from_settings(WarehouseSettings())
    finally:
        os.environ.clear()
        os.environ.update(old)


def test_writer_inserts_with_clickhouse_connect(wh: PrivateWarehouse, tables: None) -> None:
    from clickhouse_connect.driver.exceptions import DatabaseError

    writer = wh.client("lianxi_writer")
    before = int(wh.post("SELECT count() FROM raw.r_events").text)
    assert writer.insert("raw.r_events", [[10], [11]], column_names=["id"]).written_rows == 2
    assert int(wh.post("SELECT count() FROM raw.r_events").text) == before + 2
    with pytest.raises(DatabaseError, match="497"):
        writer.insert("marts.r_fct", [[10]], column_names=["id"])
