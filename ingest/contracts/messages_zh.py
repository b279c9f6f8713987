"""Chinese wording of a `Violation` for people who fix the data (`lianxi publish --dry-run`).

The rule names stay the machine-readable ones of `validate_event` and the API; only the
sentence is translated. Details (the value, the limit) are taken from jsonschema-rs's English
message, and enum choices from the schema itself with their Chinese labels."""

from __future__ import annotations

import re
from typing import Any

from ingest.contracts.registry import UnknownEventType, Violation, major_of, schema_for

_TYPES_ZH = {
    "string": "字符串",
    "integer": "整数",
    "number": "数字",
    "boolean": "布尔值",
    "array": "数组",
    "object": "对象",
    "null": "空值 null",
}
_FORMATS_ZH = {
    "date-time": "RFC 3339 时间（含时区，如 2026-03-01T08:00:00+08:00）",
    "uri-reference": "URI 引用（如 /systems/hotline-12345）",
}
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def pointer(field: str) -> str:
    """The dotted path of a Violation as a JSON pointer (RFC 6901): data.ids[1] -> /data/ids/1."""
    parts = [name if name else index for name, index in _SEGMENT.findall(field)]
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _last_number(message: str) -> str:
    found = re.findall(r"-?\d+(?:\.\d+)?", message)
    return found[-1] if found else "?"


def _value(message: str, sep: str) -> str:
    return message.split(sep, 1)[0] if sep in message else ""


def _property(field: str, event: Any) -> dict[str, Any]:
    """The schema property behind `field` ("data.<name>"), when it is a top-level data field."""
    if (
        not isinstance(event, dict)
        or not field.startswith("data.")
        or "[" in field[5:]
        or "." in field[5:]
    ):
        return {}
    try:
        schema = schema_for(str(event.get("type")), major_of(event))
    except UnknownEventType:
        return {}
    prop = schema.get("properties", {}).get(field[5:], {})
    return prop if isinstance(prop, dict) else {}


def _enum(v: Violation, event: Any) -> str:
    value = _value(v.message, " is not one of ")
    prop = _property(v.field, event)
    choices = prop.get("enum")
    if not choices:
        return f"取值 {value} 不在允许的取值之中（{v.message}）"
    labels = prop.get("x-enum-labels", {})
    listed = "、".join(
        f"{c}（{labels[c]}）" if c in labels else str(c) for c in choices if c is not None
    )
    return f"取值 {value} 不在允许的取值之中，可选：{listed}"


def _type(v: Violation) -> str:
    found = re.search(r"is not of types? (.+)$", v.message)
    names = re.findall(r'"(\w+)"', found.group(1)) if found else []
    wanted = "或".join(_TYPES_ZH.get(n, n) for n in names) or "其他类型"
    return f"类型错误：应为{wanted}，实际为 {_value(v.message, ' is not of type')}"


# Rules whose message is a bound taken from the validator's own message.
_BOUNDS = {
    "minimum": "数值过小：须不小于 {}",
    "maximum": "数值过大：须不大于 {}",
    "exclusiveMinimum": "数值过小：须大于 {}",
    "exclusiveMaximum": "数值过大：须小于 {}",
    "minLength": "文字过短：至少 {} 个字符",
    "maxLength": "文字过长：最多 {} 个字符",
    "minItems": "项数过少：至少 {} 项",
    "maxItems": "项数过多：最多 {} 项",
}


def describe(v: Violation, event: Any = None) -> str:
    """One Chinese sentence for a violation; `event` (the event it was found in) lets enum
    messages list the allowed values with their Chinese labels."""
    name = v.field.rsplit(".", 1)[-1] if v.field else "事件"
    rule = v.rule
    if rule == "required":
        return f"缺少必填字段 {name}"
    if rule == "additionalProperties":
        return f"不允许的字段 {name}（事件目录中没有这个字段）"
    if rule == "type":
        if v.field == "":
            return "每一行须为一个 JSON 对象（一个事件）"
        return _type(v)
    if rule == "enum":
        return _enum(v, event)
    if rule == "const":
        return f"取值须为 {_value(v.message, ' was expected') or v.message}"
    if rule == "pattern":
        found = re.search(r' does not match "(.*)"$', v.message)
        return f"格式不符：{_value(v.message, ' does not match ')} 不匹配 {found.group(1) if found else '规定的格式'}"
    if rule == "format":
        found = re.search(r' is not a "(.*)"$', v.message)
        fmt = found.group(1) if found else ""
        return f"格式不符：须为{_FORMATS_ZH.get(fmt, fmt or '规定的格式')}"
    if rule in _BOUNDS:
        return _BOUNDS[rule].format(_last_number(v.message))
    if rule == "uniqueItems":
        return "数组中有重复的元素"
    if rule == "known_type":
        return f"未知的事件类型 {event.get('type') if isinstance(event, dict) else ''}（不在事件目录中）"
    if rule == "known_version":
        return "该事件类型没有 dataschema 所指的主版本"
    if rule == "dataschema_matches_type":
        found = re.search(r"must be '(.*)' for", v.message)
        return f"dataschema 与事件类型不符，应为 {found.group(1) if found else '该类型的模式标识'}"
    if rule == "subject_matches_aggregate":
        found = re.search(r"equal (data\.\w+)", v.message)
        return f"subject 须等于聚合编号 {found.group(1) if found else 'data 中的聚合编号'}"
    if rule == "json":
        return f"此行不是合法的 JSON（{v.message}）"
    if rule == "utf8":
        return "此行不是合法的 UTF-8 编码"
    if rule == "maxDepth":
        return "JSON 嵌套层数过深"
    if rule == "csv":
        return "此行的单元格比表头多"
    return f"不符合规则 {rule}（{v.message}）"
