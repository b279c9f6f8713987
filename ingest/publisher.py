"""`lianxi publish FILE`: JSONL or CSV events, validated line by line, then sent to Kafka.

Ids come from the file, so running the same file twice publishes the same (source, id) pairs
and the pipeline deduplicates them: re-runs are safe.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.contracts import (
    UnknownEventType,
    Violation,
    major_of,
    schema_for,
    validate_event,
)

ENVELOPE_FIELDS = (
    "id",
    "source",
    "type",
    "specversion",
    "time",
    "subject",
    "dataschema",
    "datacontenttype",
)
CHUNK = 5000


@dataclass
class Rejected:
    line: int
    violations: list[Violation]
    event: Any = None  # what the line held (None if it could not be read): for the messages

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "errors": [v.as_dict() for v in self.violations]}


@dataclass
class PublishSummary:
    lines: int = 0
    accepted: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    by_topic: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def reasons(self) -> dict[tuple[str, str], int]:
        """(field, rule) -> how many lines broke it."""
        counts: dict[tuple[str, str], int] = {}
        for r in self.rejected:
            for v in {(v.field, v.rule) for v in r.violations}:
                counts[v] = counts.get(v, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


class UnreadableFile(Exception):
    """The file as a whole cannot be read (missing, no permission, a CSV that is not UTF-8)."""


def check_readable(path: Path) -> None:
    """Raise UnreadableFile before anything is validated or sent. JSONL lines that are not
    UTF-8 are reported per line (rule `utf8`); a CSV record may span lines, so it must decode
    as a whole."""
    try:
        with path.open("rb") as fh:
            if path.suffix.lower() != ".csv":
                fh.read(1)
                return
            decoder = codecs.getincrementaldecoder("utf-8")()
            line = 1
            while block := fh.read(1 << 20):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    at = line + block[: exc.start].count(b"\n")
                    raise UnreadableFile(
                        f"文件不是 UTF-8 编码（第 {at} 行） / not UTF-8 (line {at})"
                    ) from None
                line += block.count(b"\n")
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise UnreadableFile(
                    "文件结尾不是完整的 UTF-8 字符 / truncated UTF-8 at the end"
                ) from None
    except OSError as exc:
        raise UnreadableFile(
            f"无法读取文件：{exc.strerror or exc} / cannot read the file"
        ) from None


def _jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield (
                    number,
                    Violation("", "utf8", f"not valid UTF-8: {exc.reason} at byte {exc.start}"),
                )
                continue
            if number == 1:
                line = line.removeprefix("\ufeff")
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield (
                    number,
                    Violation("", "json", f"not valid JSON: {exc.msg} at column {exc.colno}"),
                )
            except RecursionError:
                yield number, Violation("", "maxDepth", "JSON nests too deep")


def _cell(value: str, prop: dict[str, Any]) -> Any:
    """A CSV cell typed after its JSON Schema property; values that cannot be converted are
    passed through as text so validation names the field and the rule."""
    types = prop.get("type", "string")
    types = [types] if isinstance(types, str) else types
    if value == "":
        return None
    for kind in types:
        try:
            if kind == "integer":
                return int(value)
            if kind == "number":
                return float(value)
            if kind == "boolean" and value.lower() in ("true", "false", "1", "0"):
                return value.lower() in ("true", "1")
            if kind in ("array", "object"):
                return json.loads(value)
        except ValueError:
            continue
    return value


def csv_event(row: dict[str, str]) -> dict[str, Any]:
    """Envelope columns plus data.<field> columns -> structured event."""
    event: dict[str, Any] = {k: v for k, v in row.items() if k in ENVELOPE_FIELDS and v != ""}
    extra = [k for k in row if k not in ENVELOPE_FIELDS and not k.startswith("data.")]
    for k in extra:
        event[k] = row[k]  # unknown columns reach validation and are reported there
    props: dict[str, Any] = {}
    try:
        props = schema_for(event.get("type", ""), major_of(event))["properties"]
    except UnknownEventType:
        pass
    data: dict[str, Any] = {}
    for column, value in row.items():
        if not column.startswith("data."):
            continue
        name = column[5:]
        prop = props.get(name, {})
        typed = _cell(value, prop)
        nullable = isinstance(prop.get("type"), list) and "null" in prop["type"]
        if typed is None and not nullable:
            continue  # an empty cell means "not given" for this event type
        data[name] = typed
    event["data"] = data
    return event


def _csv(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh, restval="")  # a short row: its missing cells are empty
        reader.fieldnames  # noqa: B018 - reads the header, so line_num counts from the first record
        while True:
            number = (
                reader.line_num + 1
            )  # a quoted cell may span lines: report where the record starts
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield number, Violation("", "csv", f"not valid CSV: {exc}")
                continue
            if None in row:
                yield number, Violation("", "csv", "the row has more cells than the header")
                continue
            yield number, csv_event(row)


def read_events(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, event dict or a Violation if the line cannot be read)."""
    if path.suffix.lower() == ".csv":
        return _csv(path)
    return _jsonl(path)


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def publish_file(
    path: Path,
    publish: Callable[[list[dict[str, Any]]], dict[str, int]] | None,
    on_line: Callable[[int], None] | None = None,
) -> PublishSummary:
    """Validate every line; hand valid events to `publish` in chunks (None = dry run).

    `publish(chunk)` returns events per topic and raises if Kafka did not acknowledge all.
    """
    import time

    started = time.perf_counter()
    summary = PublishSummary()
    chunk: list[dict[str, Any]] = []

    def flush() -> None:
        if chunk and publish is not None:
            for topic, n in publish(chunk).items():
                summary.by_topic[topic] = summary.by_topic.get(topic, 0) + n
        summary.accepted += len(chunk)
        chunk.clear()

    for number, event in read_events(path):
        summary.lines += 1
        violations = [event] if isinstance(event, Violation) else validate_event(event)
        if violations:
            summary.rejected.append(
                Rejected(number, violations, None if isinstance(event, Violation) else event)
            )
        else:
            chunk.append(event)
            if len(chunk) >= CHUNK:
                flush()
        if on_line:
            on_line(number)
    flush()
    summary.seconds = time.perf_counter() - started
    return summary


def problems(summary: PublishSummary) -> Iterator[dict[str, Any]]:
    """Every violation of every rejected line, in file order: line, field (the API's dotted
    path), pointer (the same as a JSON pointer), rule (the API's rule names), message (Chinese)
    and detail (the validator's English)."""
    from ingest.contracts.messages_zh import describe, pointer

    for r in summary.rejected:
        for v in r.violations:
            yield {
                "line": r.line,
                "field": v.field,
                "pointer": pointer(v.field),
                "rule": v.rule,
                "message": describe(v, r.event),
                "detail": v.message,
            }
