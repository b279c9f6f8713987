"""The sink's insert path on in-process chdb (the real ClickHouse engine, no server), for
agent tests that run under Faust's test_context() without a warehouse server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chdb import session as chdb_session

from streams import rawschema
from streams.config import StreamsSettings
from streams.sink import ClickHouseSink

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _json_value(value, is_time: bool):
    if is_time and isinstance(value, int):  # the sink sends DateTime64(3) as epoch ms
        value = _EPOCH + timedelta(milliseconds=value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


class ChdbSink(ClickHouseSink):
    def __init__(self, settings: StreamsSettings, path: str) -> None:
        super().__init__(settings)
        self.session = chdb_session.Session(path)
        self.session.query(f"CREATE DATABASE IF NOT EXISTS {self.database}")
        for table in rawschema.raw_tables().values():
            self.session.query(table.create_sql(self.database))
        self.session.query(rawschema.dead_letters_sql(self.database))
        self.inserts: list[tuple[str, str, int]] = []
        self._time_columns = {
            table.name: {name for name, sql_type in table.columns() if "DateTime64" in sql_type}
            for table in rawschema.raw_tables().values()
        } | {"dead_letters": {"failed_at", "replayed_at"}}

    def insert(self, table, columns, rows, token) -> None:
        if not rows:
            return
        times = [c in self._time_columns[table] for c in columns]
        body = "\n".join(
            json.dumps(
                {c: _json_value(v, t) for c, v, t in zip(columns, row, times, strict=True)},
                ensure_ascii=False,
            )
            for row in rows
        )
        self.session.query(
            f"INSERT INTO {self.database}.{table} SETTINGS insert_deduplication_token="
            f"'{token}', async_insert=0 FORMAT JSONEachRow\n{body}"
        )
        self.inserts.append((table, token, len(rows)))

    def query(self, sql: str, params: dict | None = None) -> list[tuple]:
        out = self.session.query(sql, "JSONCompact")
        return [tuple(r) for r in json.loads(str(out))["data"]]

    def close(self) -> None:
        self.session.close()
