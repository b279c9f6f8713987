"""The sink's insert path on in-process chdb (the real ClickHouse engine, no server), for
agent tests that run under Faust's test_context() without a warehouse server."""

from __future__ import annotations

import json
from datetime import datetime

from chdb import session as chdb_session

from streams import rawschema
from streams.config import StreamsSettings
from streams.sink import ClickHouseSink


def _json_value(value):
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

    def insert(self, table, columns, rows, token) -> None:
        if not rows:
            return
        body = "\n".join(
            json.dumps({c: _json_value(v) for c, v in zip(columns, row, strict=True)},
                       ensure_ascii=False)
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
