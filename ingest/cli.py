"""Command-line commands of this stage; registered on the `lianxi` app by infra/cli.py.

lianxi topics create · lianxi tokens create|list|revoke · lianxi publish FILE · lianxi api serve ·
lianxi catalogue --out FILE
(+ the simulator's commands, registered by ingest/simulator/cli.py when present).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

tokens_app = typer.Typer(
    help="发布方令牌 / publisher tokens (per source, scoped to event types).", no_args_is_help=True
)
api_app = typer.Typer(help="HTTP 接入接口 / the HTTP ingest API.", no_args_is_help=True)
topics_app = typer.Typer(help="Kafka 主题 / Kafka topics of the platform.", no_args_is_help=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


@topics_app.command("create")
def topics_create(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Create the domain topics and lianxi.deadletter (partitions, retention from settings); idempotent."""
    from kafka.errors import KafkaError

    from ingest.config import get_settings
    from ingest.topics import create_topics

    try:
        status = create_topics(get_settings())
    except KafkaError as exc:
        raise _fail(f"cannot reach Kafka at {get_settings().kafka_bootstrap}: {exc}") from None
    if as_json:
        typer.echo(json.dumps(status))
    else:
        for name, state in status.items():
            typer.echo(f"{state:8} {name}")


@tokens_app.command("create")
def tokens_create(
    source: Annotated[
        str, typer.Option("--source", help="the CloudEvents source the token publishes for")
    ],
    types: Annotated[
        list[str],
        typer.Option("--types", help="event-type glob, e.g. 'lianxi.ticket.*' (repeatable)"),
    ],
    note: Annotated[str, typer.Option(help="free text: who holds it")] = "",
    areas: Annotated[
        list[str] | None,
        typer.Option(
            "--area",
            help="street s-01 or community c-01-02 this token may read: Open311 GET tickets, GET /v1/metrics (repeatable; none = whole district)",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a token; its secret is printed once (only its sha256 is stored)."""
    from ingest.config import get_settings
    from ingest.tokens import TokenError, TokenStore

    store = TokenStore(get_settings().tokens_path)
    try:
        secret, token = store.create(source, types, note, areas)
    except TokenError as exc:
        raise _fail(
            json.dumps({"field": exc.field, "rule": exc.rule, "message": str(exc)}), 2
        ) from None
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps({"token": secret, **token.as_dict()}))
    else:
        typer.echo(
            f"token_id: {token.token_id}\nsource:   {token.source}\ntypes:    {', '.join(token.types)}"
        )
        typer.echo(f"areas:    {', '.join(token.areas) or 'all (whole district)'}")
        typer.echo(f"secret:   {secret}\n(shown once; send it as 'Authorization: Bearer <secret>')")


@tokens_app.command("list")
def tokens_list(
    all_: Annotated[bool, typer.Option("--all", help="include revoked tokens")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List tokens (never their secrets)."""
    from ingest.config import get_settings
    from ingest.tokens import TokenStore

    store = TokenStore(get_settings().tokens_path)
    try:
        tokens = store.list(include_revoked=all_)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([t.as_dict() for t in tokens]))
        return
    for t in tokens:
        state = f"revoked {t.revoked_at}" if t.revoked_at else "active"
        typer.echo(
            f"{t.token_id}  {t.source}  {','.join(t.types)}  areas={','.join(t.areas) or 'all'}  {state}  {t.note}"
        )


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="tok_… from `lianxi tokens list`")],
) -> None:
    """Revoke a token at once (the API checks the store on every request)."""
    from ingest.config import get_settings
    from ingest.tokens import TokenStore

    store = TokenStore(get_settings().tokens_path)
    try:
        revoked = store.revoke(token_id)
    finally:
        store.close()
    if not revoked:
        raise _fail(
            json.dumps(
                {
                    "field": "token_id",
                    "rule": "active_token",
                    "message": f"no active token {token_id}",
                }
            ),
            2,
        )
    typer.echo(f"revoked {token_id}")


@api_app.command("serve")
def api_serve(
    host: Annotated[str | None, typer.Option(help="default LIANXI_API_HOST (127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="default LIANXI_API_PORT (8000)")] = None,
) -> None:
    """Run the ingest API in the foreground (docs at /docs)."""
    from ingest.api.server import serve
    from ingest.config import get_settings

    serve(get_settings(), host, port)


def publish(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="JSONL, or CSV (envelope + data.* columns)"
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="只校验不发送，不连接 Kafka，逐条列出问题 / validate only, no Kafka; exit 0 all valid, 1 some invalid, 2 unreadable file",
        ),
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="send nothing if any line is invalid")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="write rejected lines with reasons as JSON")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="machine-readable output (with --dry-run: one JSON object per problem, then the summary)",
        ),
    ] = False,
) -> None:
    """Validate and publish events from a file. Exit 0: all sent; 2: some lines rejected (the
    valid ones were sent unless --strict); 1: Kafka did not acknowledge.
    With --dry-run: exit 0 all valid, 1 some invalid, 2 the file cannot be read."""
    from ingest.publisher import UnreadableFile, check_readable

    try:
        check_readable(file)
    except UnreadableFile as exc:
        raise _fail(
            json.dumps(
                {"error": "unreadable_file", "file": str(file), "message": str(exc)},
                ensure_ascii=False,
            ),
            2,
        ) from None
    if dry_run:
        _dry_run(file, report, as_json)
        return

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from ingest.config import get_settings
    from ingest.producer import Producer, PublishError
    from ingest.publisher import PublishSummary, count_lines, publish_file

    console = Console(stderr=True)
    settings = get_settings()
    total = count_lines(file)
    producer: Producer | None = None

    def send(chunk: list[dict]) -> dict[str, int]:
        assert producer is not None
        return producer.publish(chunk).by_topic

    def run(label: str, sending: bool) -> PublishSummary:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=as_json,
        ) as progress:
            task = progress.add_task(label, total=total)
            return publish_file(
                file, send if sending else None, lambda n: progress.update(task, completed=n)
            )

    try:
        if strict:
            summary = run("validate", sending=False)
        if not (strict and summary.rejected):
            producer = Producer(settings, client_id="lianxi-publish")
            summary = run("publish", sending=True)
    except PublishError as exc:
        raise _fail(
            json.dumps(
                {
                    "error": "kafka_unacknowledged",
                    "message": str(exc),
                    "acknowledged": exc.acknowledged,
                }
            ),
            1,
        ) from None
    finally:
        if producer is not None:
            producer.close()
    sent = summary.accepted if producer is not None else 0
    reasons = [{"field": f, "rule": r, "lines": n} for (f, r), n in summary.reasons().items()]
    result = {
        "file": str(file),
        "lines": summary.lines,
        "valid": summary.accepted,
        "published": sent,
        "rejected": len(summary.rejected),
        "by_topic": summary.by_topic,
        "reasons": reasons,
        "seconds": round(summary.seconds, 3),
    }
    if report is not None:
        report.write_text(
            json.dumps([r.as_dict() for r in summary.rejected], ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        console.print(
            f"{summary.lines} lines: {sent} published, {len(summary.rejected)} rejected ({summary.seconds:.1f} s)"
        )
        for reason in reasons[:20]:
            console.print(
                f"  {reason['lines']:>7} × {reason['field'] or '(event)'}: {reason['rule']}"
            )
        for r in summary.rejected[:10]:
            first = r.violations[0]
            console.print(
                f"  line {r.line}: {first.field or '(event)'} [{first.rule}] {first.message}"
            )
    if summary.rejected:
        raise typer.Exit(2)


def _dry_run(file: Path, report: Path | None, as_json: bool) -> None:
    """`publish --dry-run`: every problem of every line on stdout, no settings, no Kafka."""
    from ingest.publisher import problems, publish_file

    summary = publish_file(file, None)
    for problem in problems(summary):
        if as_json:
            typer.echo(json.dumps({"kind": "problem", **problem}, ensure_ascii=False))
        else:
            where = problem["pointer"] or "（整条）"
            typer.echo(
                f"第 {problem['line']} 行  {where}  [{problem['rule']}]  {problem['message']}"
            )
    invalid = len(summary.rejected)
    if report is not None:
        report.write_text(
            json.dumps([r.as_dict() for r in summary.rejected], ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "kind": "summary",
                    "file": str(file),
                    "lines": summary.lines,
                    "valid": summary.accepted,
                    "invalid": invalid,
                    "published": 0,
                    "reasons": [
                        {"field": f, "rule": r, "lines": n}
                        for (f, r), n in summary.reasons().items()
                    ],
                },
                ensure_ascii=False,
            )
        )
    else:
        typer.echo(f"检查 {summary.lines} 条，有效 {summary.accepted} 条，无效 {invalid} 条")
    if invalid:
        raise typer.Exit(1)


def catalogue(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write")] = Path("catalogue.html"),
) -> None:
    """Write the Chinese event catalogue (the page GET /v1/catalogue serves) to a file."""
    from ingest.catalogue_page import render

    out.write_text(render(), encoding="utf-8")
    typer.echo(json.dumps({"written": str(out)}))


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the top-level app."""
    app.add_typer(topics_app, name="topics")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(api_app, name="api")
    app.command("publish")(publish)
    app.command("catalogue")(catalogue)
    from ingest.simulator import cli as simulator_cli

    simulator_cli.register(app)
