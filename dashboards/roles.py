"""Create or update Superset roles, RLS rules and demo users (`lianxi dashboards roles`).

Idempotent: roles, rules and users are matched by name and brought to the generated state;
rules this command made earlier for org units that no longer exist are removed.
"""

from dataclasses import dataclass
from typing import Any

from dashboards import bundle_build, rls, sqllab
from dashboards.config import DashboardsSettings
from dashboards.org_tree import Street
from dashboards.superset_api import SupersetSession

# Gamma's rights minus everything that edits shared objects: viewers look, they do not change.
WRITE_RIGHTS = {
    ("can_write", "Chart"),
    ("can_write", "Dashboard"),
    ("can_write", "Tag"),
    ("can_write", "Theme"),
    ("can_tag", "Chart"),
    ("can_tag", "Dashboard"),
    ("can_bulk_create", "Tag"),
    ("can_delete_embedded", "Dashboard"),
    ("can_export_as_example", "Dashboard"),
    ("can_put_chart_customizations", "Dashboard"),
    ("can_file_handler", "Superset"),
    ("can_invalidate", "CacheRestApi"),
}
ADMIN_VIEWS = {"UserRegistrationsRestAPI"}
MANAGED_PREFIXES = (rls.LEADER, rls.ANALYST, rls.STREET_PREFIX, rls.COMMUNITY_PREFIX)


@dataclass
class DemoUser:
    login: str
    role: str
    password: str


class RoleProvisioner:
    def __init__(self, session: SupersetSession) -> None:
        self.session = session
        self.pvms = self.session.list_all("security/permissions-resources")
        self.roles: dict[str, int] = {}
        self.role_pvms: dict[str, set[int]] = {}
        page = 0
        while True:
            rows = self.session.get(
                "/api/v1/security/roles/search/", params={"q": f"(page:{page},page_size:100)"}
            )["result"]
            for row in rows:
                self.roles[row["name"]] = row["id"]
                self.role_pvms[row["name"]] = set(row["permission_ids"])
            if len(rows) < 100:
                break
            page += 1

    def _pvm_ids(self, pairs: set[tuple[str, str]]) -> list[int]:
        return sorted(
            p["id"] for p in self.pvms if (p["permission"]["name"], p["view_menu"]["name"]) in pairs
        )

    def _role_rights(self, name: str) -> set[tuple[str, str]]:
        rows = self.session.get(f"/api/v1/security/roles/{self.roles[name]}/permissions/")["result"]
        return {(row["permission_name"], row["view_menu_name"]) for row in rows}

    def database_id(self, name: str) -> int:
        for row in self.session.list_all("database", ["id", "database_name"]):
            if row["database_name"] == name:
                return int(row["id"])
        raise LookupError(
            f"database {name!r} is not in Superset: run `lianxi dashboards import` first"
        )

    def viewer_rights(self) -> set[tuple[str, str]]:
        gamma = self._role_rights("Gamma")
        rights = {r for r in gamma if r not in WRITE_RIGHTS and r[1] not in ADMIN_VIEWS}
        rights.add(("schema_access", f"[{bundle_build.MARTS_DB}].[marts]"))
        # Drill to detail (from a street's bar to the tickets behind it) reads the dataset's
        # rows through /datasource/samples, under the same row-level security as the charts.
        rights.add(("can_samples", "Datasource"))
        return rights

    def analyst_rights(self) -> set[tuple[str, str]]:
        analyst_db = self.database_id(bundle_build.ANALYST_DB)
        rights = self.viewer_rights() | self._role_rights("sql_lab")
        rights.add(("database_access", f"[{bundle_build.ANALYST_DB}].(id:{analyst_db})"))
        return rights

    def ensure_role(self, name: str, rights: set[tuple[str, str]]) -> int:
        if name not in self.roles:
            self.roles[name] = self.session.post("/api/v1/security/roles/", json={"name": name})[
                "id"
            ]
        ids = self._pvm_ids(rights)
        if set(ids) == self.role_pvms.get(name):
            return self.roles[name]
        self.role_pvms[name] = set(ids)
        self.session.post(
            f"/api/v1/security/roles/{self.roles[name]}/permissions",
            json={"permission_view_menu_ids": ids},
        )
        return self.roles[name]

    def apply(self, specs: list[rls.RoleSpec]) -> dict[str, int]:
        viewer, analyst = self.viewer_rights(), self.analyst_rights()
        datasets = {
            row["table_name"]: row["id"]
            for row in self.session.list_all("dataset", ["id", "table_name"])
        }
        existing = {row["name"]: row for row in self.session.list_all("rowlevelsecurity")}
        wanted: set[str] = set()
        for spec in specs:
            role_id = self.ensure_role(spec.name, analyst if spec.analyst else viewer)
            by_clause: dict[str, list[int]] = {}
            for table, clause in spec.clauses.items():
                if table in datasets:
                    by_clause.setdefault(clause, []).append(datasets[table])
            for clause, tables in sorted(by_clause.items()):
                name = f"{spec.name}: {clause}"
                wanted.add(name)
                body = {
                    "name": name,
                    "filter_type": "Regular",
                    "tables": sorted(tables),
                    "roles": [role_id],
                    "group_key": "org_scope",
                    "clause": clause,
                    "description": "由 lianxi dashboards roles 生成，请勿手工修改",
                }
                if name in existing:
                    if _rule_state(existing[name]) != _rule_state(body):
                        self.session.put(
                            f"/api/v1/rowlevelsecurity/{existing[name]['id']}", json=body
                        )
                else:
                    self.session.post("/api/v1/rowlevelsecurity/", json=body)
        for name, rule in existing.items():
            if name.startswith(MANAGED_PREFIXES) and name not in wanted:
                self.session.delete(f"/api/v1/rowlevelsecurity/{rule['id']}")
        return {"roles": len(specs), "rls_rules": len(wanted)}

    def ensure_users(self, users: list[DemoUser], reset_passwords: bool = False) -> int:
        existing = {row["username"]: row for row in self.session.list_all("security/users")}
        for user in users:
            current = existing.get(user.login)
            # Hashing a password costs a fraction of a second each: an existing user with the
            # right role keeps its password unless a reset is asked for.
            if (
                current
                and not reset_passwords
                and [r["id"] for r in current["roles"]] == [self.roles[user.role]]
            ):
                continue
            body: dict[str, Any] = {
                "first_name": user.login,
                "last_name": "演示",
                "username": user.login,
                "email": f"{user.login}@lianxi.invalid",
                "active": True,
                "password": user.password,
                "roles": [self.roles[user.role]],
            }
            if current:
                self.session.put(f"/api/v1/security/users/{current['id']}", json=body)
            else:
                self.session.post("/api/v1/security/users/", json=body)
        return len(users)


def _rule_state(rule: dict[str, Any]) -> tuple[Any, ...]:
    def ids(values: list[Any]) -> list[int]:
        return sorted(v["id"] if isinstance(v, dict) else v for v in values)

    return (
        rule["clause"],
        rule["filter_type"],
        rule["group_key"],
        ids(rule["tables"]),
        ids(rule["roles"]),
    )


def dataset_scopes() -> dict[str, str]:
    datasets, _ = bundle_build.load_spec()
    return {table: spec["scope"] for table, spec in datasets.items()}


def provision(
    session: SupersetSession,
    settings: DashboardsSettings,
    streets: list[Street],
    demo_users: bool = True,
    reset_passwords: bool = False,
) -> dict[str, Any]:
    specs = rls.role_specs(streets, dataset_scopes())
    provisioner = RoleProvisioner(session)
    result: dict[str, Any] = provisioner.apply(specs)
    if demo_users:
        users = [
            DemoUser(spec.login, spec.name, settings.demo_password(spec.login)) for spec in specs
        ]
        result["demo_users"] = provisioner.ensure_users(users, reset_passwords)
        # Analysts open SQL Lab on the metric layer, not on an empty "Untitled Query 1".
        analyst_db = provisioner.database_id(bundle_build.ANALYST_DB)
        analysts = {spec.login for spec in specs if spec.analyst}
        result["sqllab_tabs"] = sum(
            sqllab.ensure_tab(settings.superset_url, user.login, user.password, analyst_db)
            for user in users
            if user.login in analysts
        )
    return result
