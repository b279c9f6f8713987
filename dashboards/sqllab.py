"""A ready SQL Lab tab for every user who may use SQL Lab: opened on the analysts' database and
the `marts` schema, named in Chinese, with a starter query on the metric layer.

SQL Lab keeps its tabs per user on the server (SQLLAB_BACKEND_PERSISTENCE), and a tab can only
be made by the user it belongs to, through Superset's own form login (the tab view does not take
the API's JWT). A user who already has a tab keeps theirs: this never overwrites work.
"""

import json
from pathlib import Path

from dashboards.superset_api import browser_session

TAB_LABEL = "指标查询（marts）"
STARTER_SQL = Path(__file__).with_name("sql") / "sqllab_start.sql"


def ensure_tab(superset_url: str, login: str, password: str, database_id: int) -> bool:
    """Give `login` its starter tab unless it has one already; True when a tab was made."""
    with browser_session(superset_url, login, password) as client:
        state = client.get("/api/v1/sqllab/")
        state.raise_for_status()
        if state.json()["result"]["tab_state_ids"]:
            return False
        editor = {
            "name": TAB_LABEL,
            "dbId": database_id,
            "schema": "marts",
            "sql": STARTER_SQL.read_text(encoding="utf-8"),
            "queryLimit": 1000,
        }
        made = client.post(
            "/tabstateview/", data={"queryEditor": json.dumps(editor, ensure_ascii=False)}
        )
        made.raise_for_status()
        return True
