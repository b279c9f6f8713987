"""A ready SQL Lab tab for every user who may use SQL Lab: opened on the analysts' database and
the `marts` schema, named in Chinese, with a starter query on the metric layer.

SQL Lab keeps its tabs per user on the server (SQLLAB_BACKEND_PERSISTENCE), and a tab can only
be made by the user it belongs to, through Superset's own form login (the tab view does not take
the API's JWT). A user who already has a tab keeps theirs: this never overwrites work.
"""

import json
import re
from pathlib import Path

import httpx

TAB_LABEL = "指标查询（marts）"
STARTER_SQL = Path(__file__).with_name("sql") / "sqllab_start.sql"


def ensure_tab(superset_url: str, login: str, password: str, database_id: int) -> bool:
    """Give `login` its starter tab unless it has one already; True when a tab was made."""
    with httpx.Client(base_url=superset_url, timeout=60.0) as client:
        form = client.get("/login/").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
        if token is None:
            raise RuntimeError(f"{superset_url}/login/ has no CSRF token: is this Superset?")
        done = client.post("/login/", data={"username": login, "password": password, "csrf_token": token[1]})
        # A good login redirects to the welcome page; a bad one renders the form again.
        if done.status_code != 302:
            raise RuntimeError(f"SQL Lab tab: Superset refused the login of {login!r} (HTTP {done.status_code})")
        state = client.get("/api/v1/sqllab/")
        state.raise_for_status()
        if state.json()["result"]["tab_state_ids"]:
            return False
        csrf = client.get("/api/v1/security/csrf_token/").json()["result"]
        editor = {"name": TAB_LABEL, "dbId": database_id, "schema": "marts",
                  "sql": STARTER_SQL.read_text(encoding="utf-8"), "queryLimit": 1000}
        made = client.post("/tabstateview/", data={"queryEditor": json.dumps(editor, ensure_ascii=False)},
                           headers={"X-CSRFToken": csrf, "Referer": superset_url})
        made.raise_for_status()
        return True
