"""SQL Lab through Superset's real API, as the analyst uses it: the analyst's database and a
synchronous statement in the marts schema."""

from typing import Any

from dashboards import bundle_build


def analyst_database_id(admin_session: Any) -> int:
    """Superset's id of the analyst's database (read as the admin)."""
    return next(
        int(db["id"])
        for db in admin_session.list_all("database", ["id", "database_name"])
        if db["database_name"] == bundle_build.ANALYST_DB
    )


def sqllab(session: Any, database_id: int, sql: str) -> dict[str, Any]:
    """Run sql in SQL Lab as the session's user; SupersetError if Superset refuses it."""
    result: dict[str, Any] = session.post(
        "/api/v1/sqllab/execute/",
        json={
            "database_id": database_id,
            "sql": sql,
            "schema": "marts",
            "runAsync": False,
            "tab": "tests",
            "select_as_cta": False,
            "ctas_method": "TABLE",
        },
    )
    return result
