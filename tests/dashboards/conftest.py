"""Fixtures of the dashboards tests: a private warehouse with stand-in marts, a private
Superset with the bundle imported and the roles provisioned (see dash_stack.py)."""

from collections.abc import Iterator
from typing import Any

import pytest
from dash_stack import (
    ADMIN,
    PrivateSuperset,
    dashboards_settings,
    dashboards_warehouse,
    load_marts,
)
from support.warehouse import PrivateWarehouse


@pytest.fixture(scope="session")
def private_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateWarehouse]:
    with dashboards_warehouse(tmp_path_factory.mktemp("dash_wh") / "data").start(
        migrate=False
    ) as warehouse:
        load_marts(warehouse)
        yield warehouse


@pytest.fixture(scope="session")
def private_superset(private_warehouse: PrivateWarehouse) -> Iterator[PrivateSuperset]:
    superset = PrivateSuperset().start()
    try:
        yield superset
    finally:
        superset.stop()


@pytest.fixture(scope="session")
def settings() -> Any:
    return dashboards_settings()


@pytest.fixture(scope="session")
def provisioned(private_superset: PrivateSuperset, settings: Any) -> dict[str, Any]:
    """Bundle imported and roles, RLS and demo users created, as `make demo` would."""
    from dashboards import importer, org_tree, roles
    from dashboards.superset_api import SupersetSession

    with SupersetSession(private_superset.url, *ADMIN) as session:
        imported = importer.import_bundle(session, settings)
        provisioned_roles = roles.provision(session, settings, org_tree.read(settings))
    return {"imported": imported, "roles": provisioned_roles}


@pytest.fixture
def admin_session(private_superset: PrivateSuperset, provisioned: dict[str, Any]) -> Iterator[Any]:
    from dashboards.superset_api import SupersetSession

    with SupersetSession(private_superset.url, *ADMIN) as session:
        yield session


@pytest.fixture
def login(private_superset: PrivateSuperset, provisioned: dict[str, Any]) -> Iterator[Any]:
    """Open a session as a demo user; closed at the end of the test."""
    from dashboards.superset_api import SupersetSession

    opened: list[SupersetSession] = []

    def open_session(user: str) -> SupersetSession:
        session = SupersetSession(private_superset.url, user, f"dev-{user}")
        opened.append(session)
        return session

    yield open_session
    for session in opened:
        session.close()
