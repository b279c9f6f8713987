"""Client packets decoded and server packets encoded, per negotiated revision."""

from __future__ import annotations

from dataclasses import dataclass, field

from warehouse.errors import ProtocolError
from warehouse.native import protocol as p
from warehouse.native.wire import Reader, i32, string, u8, u64, varint

# Settings sent as typed binary (revisions before 54429) are integers for these
# setting types and strings for every other type.
_INTEGER_SETTING_TYPES = frozenset(
    {
        "UInt64",
        "Int64",
        "Bool",
        "Seconds",
        "Milliseconds",
        "MaxThreads",
        "NonZeroUInt64",
        "UInt32",
        "Int32",
        "UInt8",
        "Int8",
        "Timespan",
    }
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "b": "\b", "f": "\f", "a": "\a", "v": "\v"}


@dataclass
class Hello:
    client_name: str
    version_major: int
    version_minor: int
    revision: int
    database: str
    user: str
    password: str


@dataclass
class Query:
    query_id: str
    text: str
    settings: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    stage: int = p.QUERY_STAGE_COMPLETE
    compression: bool = False
    client_name: str = ""
    initial_user: str = ""


def read_hello(reader: Reader) -> Hello:
    hello = Hello(
        client_name=reader.string(),
        version_major=reader.varint(),
        version_minor=reader.varint(),
        revision=reader.varint(),
        database=reader.string(),
        user=reader.string(),
        password=reader.string(),
    )
    if hello.revision < p.DBMS_MIN_REVISION_WITH_CLIENT_INFO:
        raise ProtocolError(
            "UNEXPECTED_PACKET_FROM_CLIENT", f"client revision {hello.revision} is too old"
        )
    return hello


def read_query(reader: Reader, revision: int, setting_types: dict[str, str]) -> Query:
    query = Query(query_id=reader.string(), text="")
    if revision >= p.DBMS_MIN_REVISION_WITH_CLIENT_INFO:
        _read_client_info(reader, revision, query)
    query.settings = _read_settings(reader, revision, setting_types)
    if revision >= p.DBMS_MIN_REVISION_WITH_INTERSERVER_SECRET:
        reader.string()
    query.stage = reader.varint()
    query.compression = bool(reader.varint())
    query.text = reader.string()
    if revision >= p.DBMS_MIN_PROTOCOL_VERSION_WITH_PARAMETERS:
        query.params = _read_parameters(reader)
    return query


def _read_client_info(reader: Reader, revision: int, query: Query) -> None:
    if reader.u8() == 0:  # QueryKind::NO_QUERY: nothing else follows
        return
    query.initial_user = reader.string()
    reader.string()  # initial_query_id
    reader.string()  # initial_address
    if revision >= p.DBMS_MIN_PROTOCOL_VERSION_WITH_INITIAL_QUERY_START_TIME:
        reader.u64()
    interface = reader.u8()
    if interface != 1:
        raise ProtocolError(
            "UNEXPECTED_PACKET_FROM_CLIENT", f"client info interface {interface} is not TCP"
        )
    reader.string()  # os_user
    reader.string()  # client_hostname
    query.client_name = reader.string()
    reader.varint()
    reader.varint()
    reader.varint()
    if revision >= p.DBMS_MIN_REVISION_WITH_QUOTA_KEY_IN_CLIENT_INFO:
        reader.string()
    if revision >= p.DBMS_MIN_PROTOCOL_VERSION_WITH_DISTRIBUTED_DEPTH:
        reader.varint()
    if revision >= p.DBMS_MIN_REVISION_WITH_VERSION_PATCH:
        reader.varint()
    if revision >= p.DBMS_MIN_REVISION_WITH_OPENTELEMETRY and reader.u8():
        reader.skip(16 + 8)
        reader.string()
        reader.u8()
    if revision >= p.DBMS_MIN_REVISION_WITH_PARALLEL_REPLICAS:
        reader.varint()
        reader.varint()
        reader.varint()


def _read_settings(reader: Reader, revision: int, setting_types: dict[str, str]) -> dict[str, str]:
    settings: dict[str, str] = {}
    as_strings = revision >= p.DBMS_MIN_REVISION_WITH_SETTINGS_SERIALIZED_AS_STRINGS
    while name := reader.string():
        if not as_strings:
            setting_type = setting_types.get(name)
            if setting_type is None:
                raise ProtocolError(
                    "UNKNOWN_SETTING", f"Unknown setting '{name}' (sent in binary form)"
                )
            settings[name] = (
                str(reader.varint()) if setting_type in _INTEGER_SETTING_TYPES else reader.string()
            )
            continue
        flags = reader.varint()
        value = reader.string()
        # As ClickHouse does: an unknown setting fails the query only when the client marks
        # it important; drivers send their own knobs (dbt-clickhouse: session_id) unmarked.
        if name in setting_types or flags & p.SETTING_FLAG_CUSTOM or name.startswith("custom_"):
            settings[name] = value
        elif flags & p.SETTING_FLAG_IMPORTANT:
            raise ProtocolError("UNKNOWN_SETTING", f"Unknown setting '{name}'")
    return settings


def _read_parameters(reader: Reader) -> dict[str, str]:
    params = {}
    while name := reader.string():
        reader.varint()  # flags: always "custom" for parameters
        params[name] = unquote(reader.string())
    return params


def unquote(value: str) -> str:
    """Parameters arrive as quoted ClickHouse literals ('abc'); the engine wants their text."""
    if len(value) < 2 or value[0] != "'" or value[-1] != "'":
        return value
    out = []
    chars = iter(value[1:-1])
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_ESCAPES.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)


# --- server packets -------------------------------------------------------------------


def hello(
    revision: int, *, name: str, version: tuple[int, int, int], timezone: str, display_name: str
) -> bytes:
    major, minor, patch = version
    out = (
        varint(p.ServerPacket.HELLO)
        + string(name)
        + varint(major)
        + varint(minor)
        + varint(p.SERVER_REVISION)
    )
    if revision >= p.DBMS_MIN_REVISION_WITH_SERVER_TIMEZONE:
        out += string(timezone)
    if revision >= p.DBMS_MIN_REVISION_WITH_SERVER_DISPLAY_NAME:
        out += string(display_name)
    if revision >= p.DBMS_MIN_REVISION_WITH_VERSION_PATCH:
        out += varint(patch)
    if revision >= p.DBMS_MIN_PROTOCOL_VERSION_WITH_PASSWORD_COMPLEXITY_RULES:
        out += varint(0)
    if revision >= p.DBMS_MIN_REVISION_WITH_INTERSERVER_SECRET_V2:
        out += u64(0)  # nonce: only used by interserver authentication
    return out


def exception(code: int, name: str, message: str) -> bytes:
    return (
        varint(p.ServerPacket.EXCEPTION)
        + i32(code)
        + string("DB::Exception")
        + string(f"{message} ({name})")
        + string("")
        + u8(0)
    )


@dataclass
class Progress:
    rows: int = 0
    bytes: int = 0
    total_rows: int = 0
    total_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    elapsed_ns: int = 0


def progress(revision: int, pr: Progress) -> bytes:
    out = varint(p.ServerPacket.PROGRESS) + varint(pr.rows) + varint(pr.bytes)
    if revision >= p.DBMS_MIN_REVISION_WITH_TOTAL_ROWS_IN_PROGRESS:
        out += varint(pr.total_rows)
    if revision >= p.DBMS_MIN_PROTOCOL_VERSION_WITH_TOTAL_BYTES_IN_PROGRESS:
        out += varint(pr.total_bytes)
    if revision >= p.DBMS_MIN_REVISION_WITH_CLIENT_WRITE_INFO:
        out += varint(pr.written_rows) + varint(pr.written_bytes)
    if revision >= p.DBMS_MIN_PROTOCOL_VERSION_WITH_SERVER_QUERY_TIME_IN_PROGRESS:
        out += varint(pr.elapsed_ns)
    return out


def profile_info(rows: int, blocks: int, nbytes: int) -> bytes:
    # applied_limit = false, rows_before_limit = 0, calculated_rows_before_limit = true:
    # a false last flag makes old clients (18.x) recompute it from streams they do not have.
    return (
        varint(p.ServerPacket.PROFILE_INFO)
        + varint(rows)
        + varint(blocks)
        + varint(nbytes)
        + u8(0)
        + varint(0)
        + u8(1)
    )


def pong() -> bytes:
    return varint(p.ServerPacket.PONG)


def end_of_stream() -> bytes:
    return varint(p.ServerPacket.END_OF_STREAM)
