"""The access model itself: valid ClickHouse SQL that a real server applies as is, read the same
way by the embedded server, and its quota counted the way ClickHouse counts it."""

import threading

import pytest
from support.warehouse import PrivateWarehouse

from warehouse.access import model
from warehouse.config import WarehouseSettings
from warehouse.engine import Engine
from warehouse.errors import QUOTA_EXCEEDED, QueryError
from warehouse.users import User, user_statements


def test_every_access_statement_is_clickhouse_sql(target: PrivateWarehouse) -> None:
    statements = model.access_statements() + user_statements(WarehouseSettings())
    assert len(statements) > 20
    for statement in statements:
        response = target.post(
            "SELECT formatQuery({q:String})", params={"param_q": statement.replace("\\", "\\\\")}
        )
        assert response.status_code == 200, (statement, response.text)


def test_the_model_gives_each_role_what_the_platform_needs() -> None:
    roles = model.load()
    assert roles["admin"].is_admin and not roles["analyst"].is_admin
    assert roles["writer"].allows("INSERT", "raw") and not roles["writer"].allows("INSERT", "marts")
    assert roles["transformer"].allows("ALTER DELETE", "staging") and not roles[
        "transformer"
    ].allows("ALTER", "raw")
    assert roles["reader"].allows("SELECT", "marts") and not roles["reader"].allows("SELECT", "raw")
    assert (
        roles["reader"].readonly and roles["analyst"].readonly and not roles["transformer"].readonly
    )
    assert roles["reader"].profile["max_execution_time"] == model.Constraint("60", 1.0, 60.0, False)
    assert roles["analyst"].quota is not None and roles["analyst"].quota.interval == 3600


def test_a_statement_the_embedded_server_cannot_read_stops_it() -> None:
    with pytest.raises(ValueError, match="not understood"):
        model.parse(["CREATE ROLE IF NOT EXISTS r", "GRANT SELECT ON marts.t TO r"])
    with pytest.raises(ValueError, match="cannot read setting"):
        model.parse(
            ["CREATE ROLE r", "CREATE SETTINGS PROFILE p SETTINGS max_threads = 2 READONLY TO r"]
        )


def test_a_quota_refuses_the_query_past_its_limit_and_counts_errors() -> None:
    role = model.Role(
        "q_role", {"marts": {"SELECT"}}, quota=model.Quota("q", 10**9, {"queries": 3, "errors": 1})
    )  # no window ends mid-test
    user = User("quota_user", role)
    engine = Engine.__new__(Engine)  # only the per-user bookkeeping, no data directory
    engine._lock = threading.Lock()
    engine._per_user = {}
    engine._quota_used = {}
    with engine._user_slot(user):
        pass
    with pytest.raises(RuntimeError), engine._user_slot(user):
        raise RuntimeError("a failed query counts as an error")
    with pytest.raises(QueryError) as refused, engine._user_slot(user):
        pass
    assert refused.value.code == QUOTA_EXCEEDED and "errors = 1/1" in refused.value.message
    assert engine._per_user["quota_user"] == 0
