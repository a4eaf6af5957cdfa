"""The `fairlabel` command: serve, demo, db upgrade, users, tokens, import, export, quality
(and recomputing consensus).

It works on the database directly (it is the operator's tool on the server), with rich
progress bars for long work and a clear one-line error, never a traceback, for bad input."""

import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fairlabel import migrate
from fairlabel.auth import service as auth_service
from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.demo.chat import replay_url
from fairlabel.demo.history import DEFAULT_SCALE, FULL_SCALE
from fairlabel.demo.replay import demo_settings
from fairlabel.demo.seed import seed_demo
from fairlabel.errors import FairlabelError, NotFound, ValidationFailed
from fairlabel.exports import aggregated as aggregated_export
from fairlabel.exports import service as export_service
from fairlabel.formats import ExportProject, ExportRecord, RecordSource, format_names, get_format
from fairlabel.items import parsing
from fairlabel.items import service as item_service
from fairlabel.items.schemas import ImportReport
from fairlabel.models import MemberRole, Organization, Project, User
from fairlabel.organizations import service as org_service
from fairlabel.pay import floors as pay_floors
from fairlabel.pay import payouts as pay_payouts
from fairlabel.pay import service as pay_service
from fairlabel.projects import service as project_service
from fairlabel.quality import jobs as quality_jobs
from fairlabel.quality import service as quality_service
from fairlabel.quality.schemas import Confusion, QualityReport
from fairlabel.reports import fairwork
from fairlabel.reports.schemas import FairworkReport

app = typer.Typer(
    help="fairlabel: open data engine for human-labelled AI training data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organizations (clients).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(orgs_app, name="orgs")
pay_app = typer.Typer(help="Pay floors, exchange rates, approval, payouts.", no_args_is_help=True)
app.add_typer(pay_app, name="pay")
appeals_app = typer.Typer(help="Appeals and the due-process sweep.", no_args_is_help=True)
app.add_typer(appeals_app, name="appeals")

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def clear_errors(command: F) -> F:
    """Bad input ends the command with its message and exit code 2, not a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except FairlabelError as exc:
            where = f" ({exc.field}={exc.value!r}" if exc.field else ""
            expected = f"; expected {exc.expected}" if exc.expected else ""
            err_console.print(
                f"[red]error:[/red] {exc.message}{where}{expected}{')' if where else ''}"
            )
            for detail in exc.details[:50]:
                err_console.print(f"  {detail}")
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def database_session(settings: Settings | None = None) -> Iterator[Session]:
    database = Database(settings or Settings())
    try:
        with database.session() as session:
            yield session
    finally:
        database.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured database."""
    settings = Settings()
    migrate.upgrade(settings)
    with database_session(settings) as db:
        loaded = pay_floors.load_shipped(db)
    console.print(f"database at [bold]{_safe_url(settings)}[/bold] is up to date")
    if loaded:
        console.print(f"loaded {loaded} pay floors into the empty table")


def _safe_url(settings: Settings) -> str:

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn worker processes")] = 1,
    upgrade: Annotated[bool, typer.Option(help="apply migrations first")] = True,
) -> None:
    """Serve the API and the web pages."""

    if upgrade:
        migrate.upgrade(Settings())
    _serve("fairlabel.app:create_app", host, port, workers)


def _serve(factory: str, host: str, port: int, workers: int) -> None:
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,  # the app reads them, from FAIRLABEL_FORWARDED_ALLOW_IPS only
    )


@users_app.command("create")
@clear_errors
def users_create(
    email: str,
    password: Annotated[str | None, typer.Option(help="default: a generated one, printed")] = None,
    name: str | None = None,
    operator: bool = False,
    worker: bool = False,
    country: Annotated[str | None, typer.Option(help="worker's ISO country code")] = None,
    org: Annotated[str | None, typer.Option(help="organization slug to join")] = None,
    role: Annotated[str, typer.Option(help="owner, manager or viewer")] = "owner",
) -> None:
    """Create a user: an operator, an organization member, or a worker."""

    chosen = password or secrets.token_urlsafe(12)
    with database_session() as db:
        user = auth_service.create_user(
            db, email, chosen, name, is_operator=operator, is_worker=worker, worker_country=country
        )
        if org:
            organization = _organization(db, org)
            org_service.add_member(db, organization.id, user.email, _role(role))
    console.print(f"created user [bold]{user.email}[/bold] (id {user.id})")
    if password is None:
        console.print(f"password: [bold]{chosen}[/bold]")


def _organization(db: Session, slug: str) -> Organization:
    organization = org_service.organization_by_slug(db, slug)
    if organization is None:
        raise NotFound(
            "no such organization",
            field="--org",
            value=slug,
            expected="the slug of an existing organization (fairlabel orgs create)",
        )
    return organization


def _role(role: str) -> str:
    if role not in set(MemberRole):
        raise ValidationFailed(
            "unknown role", field="--role", value=role, expected="owner, manager or viewer"
        )
    return role


@orgs_app.command("create")
@clear_errors
def orgs_create(name: str, slug: str) -> None:
    """Create an organization (a client)."""

    with database_session() as db:
        organization = org_service.create_organization(db, name, slug)
    console.print(f"created organization [bold]{organization.slug}[/bold] (id {organization.id})")


@tokens_app.command("create")
@clear_errors
def tokens_create(email: str, name: str = "cli") -> None:
    """Create an API token for a user; the secret is printed once."""

    with database_session() as db:
        user = db.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise NotFound(
                "no such user", field="email", value=email, expected="the email of an existing user"
            )
        _token, secret = auth_service.create_token(db, user, name)
    console.print(secret)


@app.command("export")
@clear_errors
def export_command(
    project_id: Annotated[int, typer.Argument(metavar="PROJECT", help="project id")],
    format: Annotated[
        str, typer.Option("--format", "-f", help=", ".join(format_names()))
    ] = "jsonl",
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write")] = Path(
        "export.out"
    ),
    aggregated: Annotated[
        bool,
        typer.Option(
            help="one consensus answer per item and question "
            f"({', '.join(aggregated_export.VARIANTS)})"
        ),
    ] = False,
    split: Annotated[
        str | None,
        typer.Option(
            help="yolo, voc: a seeded split of the images, e.g. train:0.7,val:0.2,test:0.1 "
            "(yolo's default is train:0.8,val:0.2); the -parquet datasets: of the items, "
            "e.g. train:0.9,test:0.1"
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="the split's seed (0 by default)")] = None,
    include_media: Annotated[
        bool, typer.Option(help="coco, yolo, voc: the stored image files in the zip too")
    ] = False,
) -> None:
    """Export a project's items and annotations, streamed with constant memory."""
    database = Database(Settings())
    try:
        with database.session(write=False) as db:
            project = project_service.get_project(db, project_id)
            options = export_service.export_options(
                db,
                database,
                project,
                split=split,
                seed=seed,
                include_media=include_media,
                format=format,
            )
            info = export_service.describe_project(db, project, options)
            total = export_service.item_count(db, project_id)
        if aggregated:
            variant = aggregated_export.variant(format)
            written = _write_chunks(variant.export(info, database), output)
        else:
            written = _export_plain(database, info, project.overlap, format, total, output)
    finally:
        database.dispose()
    console.print(f"wrote [bold]{output}[/bold] ({written:,} bytes)")


def _export_plain(
    database: Database, info: ExportProject, overlap: int, format: str, items: int, output: Path
) -> int:
    fmt = get_format(format)
    fmt.check_project(info)
    source = export_service.record_source(database, info.id, overlap)
    with _progress() as progress:
        task = progress.add_task(f"exporting {format}", total=items * fmt.passes or None)
        counted = _counting(source, lambda: progress.advance(task))
        return _write_chunks(fmt.chunks(info, counted), output)


def _counting(source: RecordSource, tick: Callable[[], None]) -> RecordSource:
    """The same record source, advancing the progress bar once per record."""

    def counted(*, with_annotations: bool = True) -> Iterator[ExportRecord]:
        for record in source(with_annotations=with_annotations):
            tick()
            yield record

    return counted


def _write_chunks(chunks: Iterator[bytes], output: Path) -> int:
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    written = 0
    try:
        with partial.open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
                written += len(chunk)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(output)
    return written


def _progress() -> Progress:

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
    )


@app.command()
@clear_errors
def demo(
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve the site after seeding")
    ] = False,
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate",
            help=f"a month of history by {FULL_SCALE.workers:,} workers in "
            f"{FULL_SCALE.countries} countries (minutes) instead of "
            f"{DEFAULT_SCALE.workers} in {DEFAULT_SCALE.countries} (seconds)",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="the history's workforce in all, instead of the scale's"),
    ] = None,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Seed demo projects and users from generated data, then live the last 30 days through
    the services on a simulated clock: simulated workers label, review, appeal and are paid.
    Print the Fairwork score and the logins, and serve. Once seeded, it only prints the
    logins: delete the data folder to start over. The chat project's models are the demo
    replay model served by this site (canned answers), or the OpenAI-compatible server at
    FAIRLABEL_DEMO_LLM_URL (with FAIRLABEL_DEMO_LLM_MODEL and FAIRLABEL_DEMO_LLM_KEY)."""

    settings = demo_settings()
    migrate.upgrade(settings)
    with database_session(settings) as db:
        scale = FULL_SCALE if simulate else DEFAULT_SCALE
        if workers is not None:
            scale = replace(scale, workers=workers)
        logins = seed_demo(db, settings, history_scale=scale, replay=replay_url(host, port))
    with database_session(settings) as db:
        console.print(_fairwork_title(fairwork.report(db, settings)))
    table = Table(title="demo logins")
    for column in ("role", "email", "password"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.role, login.email, login.password)
    console.print(table)
    if serve_after:
        console.print(f"serving on [bold]http://{host}:{port}[/bold] (Ctrl+C to stop)")
        _serve("fairlabel.demo.replay:create_demo_app", host, port, workers=1)


@app.command("import")
@clear_errors
def import_command(
    project_id: Annotated[int, typer.Argument(metavar="PROJECT", help="project id")],
    path: Annotated[
        Path,
        typer.Argument(help="a JSONL, JSON, CSV or Parquet file, or a media folder or zip archive"),
    ],
    format: Annotated[
        str | None,
        typer.Option("--format", "-f", help="jsonl, json, csv or parquet (default: by suffix)"),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option(help="import the good rows and report the bad ones")
    ] = False,
) -> None:
    """Import items from a file (streamed) or media files from a folder, with a progress bar.
    Without --skip-invalid, one bad row rejects the whole import and nothing is written."""

    settings = Settings()
    if not path.exists():
        raise _missing_path(path)
    with database_session(settings) as db:
        project = project_service.get_project(db, project_id)
        if path.is_dir():
            report = _import_folder(db, settings, project, path, skip_invalid)
        elif format is None and path.suffix.lower() == ".zip":
            report = _import_archive(db, settings, project, path, skip_invalid)
        else:
            report = _import_file(db, project, path, format, skip_invalid)
    _print_report(report)


def _missing_path(path: Path) -> FairlabelError:
    return NotFound(
        "no such file or folder",
        field="PATH",
        value=str(path),
        expected="an existing file or folder",
    )


def _import_file(
    db: Session, project: Project, path: Path, format: str | None, skip_invalid: bool
) -> ImportReport:

    fmt = _file_format(path, format)
    if fmt == "parquet":
        return _import_parquet(db, project, path, skip_invalid)
    with _progress() as progress, path.open("rb") as handle:
        task = progress.add_task(f"importing {path.name}", total=path.stat().st_size)
        chunks = _read_with_progress(handle, lambda n: progress.advance(task, n))
        return item_service.import_rows(
            db, project, parsing.parse(fmt, chunks), skip_invalid=skip_invalid
        )


def _file_format(path: Path, requested: str | None) -> parsing.ImportFormat:
    try:
        if requested:
            return parsing.resolve_format(requested, None)
        return parsing.format_of_file(path.name)
    except ValueError:
        raise ValidationFailed(
            "the import format is not known",
            field="--format",
            value=requested or path.suffix or path.name,
            expected=f"one of {', '.join(parsing.FORMATS)}, or a file ending in one of them",
        ) from None


def _import_parquet(db: Session, project: Project, path: Path, skip_invalid: bool) -> ImportReport:
    """Read a batch of rows at a time; the bar counts rows, which the footer gives."""
    with _progress() as progress, path.open("rb") as handle:
        task = progress.add_task(f"importing {path.name}", total=parsing.parquet_rows(path))
        return item_service.import_rows(
            db,
            project,
            parsing.parse("parquet", handle),
            skip_invalid=skip_invalid,
            on_progress=lambda rows: progress.update(task, completed=rows),
        )


def _read_with_progress(handle: Any, advance: Callable[[int], None]) -> Iterator[bytes]:
    while chunk := handle.read(1 << 20):
        advance(len(chunk))
        yield chunk


def _import_folder(
    db: Session, settings: Settings, project: Project, folder: Path, skip_invalid: bool
) -> ImportReport:

    total = sum(1 for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    with _progress() as progress:
        task = progress.add_task(f"importing {folder.name}/", total=total)
        return item_service.import_media_folder(
            db,
            settings,
            project,
            folder,
            lambda done: progress.update(task, completed=done),
            skip_invalid=skip_invalid,
        )


def _import_archive(
    db: Session, settings: Settings, project: Project, path: Path, skip_invalid: bool
) -> ImportReport:
    """A zip of media files, read in place: never extracted to a folder here."""
    with _progress() as progress:
        task = progress.add_task(f"importing {path.name}", total=None)
        return item_service.import_media_archive(
            db,
            settings,
            project,
            path,
            lambda done: progress.update(task, completed=done),
            skip_invalid=skip_invalid,
        )


def _print_report(report: ImportReport) -> None:
    console.print(
        f"created {report.created:,}, updated {report.updated:,}, skipped {report.skipped:,}"
    )
    for error in report.errors[:50]:
        console.print(f"  [yellow]skipped[/yellow] {error}")


@app.command("quality")
@clear_errors
def quality_command(
    project_id: Annotated[int, typer.Argument(metavar="PROJECT", help="project id")],
    recompute: Annotated[
        bool,
        typer.Option(
            help="first recompute the whole project's consensus (Dawid-Skene where the type "
            "has it), as the server's job does, with a progress bar"
        ),
    ] = False,
    method: Annotated[
        str | None, typer.Option(help="with --recompute: one method for every question")
    ] = None,
    question: Annotated[
        str | None, typer.Option(help="with --recompute: only this question")
    ] = None,
) -> None:
    """Print a project's agreement figures, its lowest-agreement items, each worker's accuracy
    against the consensus (by pseudonym) and accuracy per day: the quality dashboard's tables."""
    if recompute:
        _recompute(project_id, method, question)
    with database_session() as db:
        report = quality_service.quality_report(db, project_service.get_project(db, project_id))
    for table in _quality_tables(report):
        console.print(table)


class _BarProgress:
    """A job's progress shown on a rich progress bar."""

    def __init__(self, bar: Progress, task: TaskID) -> None:
        self.bar, self.task = bar, task

    def update(self, done: int, total: int | None = None, message: str | None = None) -> None:
        self.bar.update(self.task, completed=done, total=total, description=message)


def _recompute(project_id: int, method: str | None, question: str | None) -> None:
    """The recompute job's own function, run here: batches of short transactions, so a
    running server's submissions go on meanwhile."""
    database = Database(Settings())
    params = {"project_id": project_id, "method": method, "question": question}
    try:
        with _progress() as bar:
            task = bar.add_task("Recomputing the consensus", total=None)
            result = quality_jobs.recompute_consensus(database, params, _BarProgress(bar, task))
    finally:
        database.dispose()
    console.print(quality_jobs.summary(result))


def _quality_tables(report: QualityReport) -> list[Table]:
    agreement = Table(
        "question",
        "type",
        "figure",
        "value",
        "answers",
        "items with 2+",
        "mean confidence",
        title="Agreement per question",
    )
    for q in report.questions:
        for f in q.figures:
            value = _number(f.value) if f.value is not None else f"- ({f.reason})"
            confidence = _number(q.mean_confidence)
            agreement.add_row(
                q.name, q.type, f.name, value, str(q.annotations), str(q.shared_items), confidence
            )
    lowest = Table("item", "question", "agreement", "annotators", title="Lowest agreement")
    for item in report.lowest_items:
        lowest.add_row(
            item.external_id, item.question, _number(item.agreement), str(item.annotators)
        )
    workers = Table("worker", "answers", "compared", "accuracy", "agreement", title="Workers")
    for w in report.workers:
        workers.add_row(
            w.worker, str(w.answers), str(w.compared), _number(w.accuracy), _number(w.agreement)
        )
    days = Table("day (UTC)", "answers", "accuracy", title="Accuracy against consensus per day")
    for day in report.over_time:
        days.add_row(day.day, str(day.answers), _number(day.accuracy))
    return [
        agreement,
        *(_confusion(q.name, q.confusion) for q in report.questions if q.confusion),
        lowest,
        workers,
        days,
    ]


def _confusion(name: str, confusion: Confusion) -> Table:
    table = Table("consensus \\ answer", *map(str, confusion.labels), title=f"Confusion: {name}")
    for label, counts in zip(confusion.labels, confusion.counts, strict=True):
        table.add_row(str(label), *map(str, counts))
    return table


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


report_app = typer.Typer(help="Reports on the recorded data.", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("fairwork")
@clear_errors
def report_fairwork(
    since: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="only records from this UTC date on"),
    ] = None,
) -> None:
    """The ten Fairwork cloudwork thresholds, each with its figures and whether it holds."""
    settings = Settings()
    with database_session(settings) as db:
        report = fairwork.report(db, settings, since.date() if since else None)
    table = Table("threshold", "figures", "target", "holds", "why", title=_fairwork_title(report))
    for t in report.thresholds:
        figures = "\n".join(f"{name}: {_figure(value)}" for name, value in t.figures.items())
        colour = {True: "green", False: "red"}.get(t.holds, "yellow")  # type: ignore[arg-type]
        table.add_row(
            f"{t.id} {t.title}", figures, t.target, f"[{colour}]{t.verdict}[/{colour}]", t.why
        )
    console.print(table)


def _fairwork_title(report: FairworkReport) -> str:
    period = f"since {report.since}" if report.since else "all recorded data"
    return f"Fairwork thresholds, {period}: {report.points}/10 hold"


def _figure(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_figure(v)}" for k, v in value.items()) or "-"
    return "-" if value is None else str(value)


@appeals_app.command("decide-due")
@clear_errors
def appeals_decide_due() -> None:
    """Decide overdue appeals for their workers, apply deactivations that took effect and
    end projects whose notice ran out (what the server's background job does; for cron)."""
    from fairlabel.dueprocess import service as dueprocess

    with database_session() as db:
        done = dueprocess.sweep(db)
    for name, count in done.items():
        console.print(f"{name.replace('_', ' ')}: {count}")


@pay_app.command("load-floors")
@clear_errors
def pay_load_floors(
    replace: Annotated[bool, typer.Option(help="replace every floor, operator edits too")] = False,
) -> None:
    """Load the pay floors shipped with this version (into an empty table unless --replace)."""
    with database_session() as db:
        loaded = pay_floors.load_shipped(db, replace=replace)
    console.print(f"{loaded} pay floors loaded" if loaded else "pay floors already present")


@pay_app.command("set-rate")
@clear_errors
def pay_set_rate(
    currency: Annotated[str, typer.Argument(help="ISO 4217 code, such as KES")],
    per_usd: Annotated[float, typer.Argument(help="units of the currency per US dollar")],
    as_of: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    source: str = "",
) -> None:
    """Set the exchange rate the pay floor check uses for a currency (nothing is fetched)."""
    if per_usd <= 0 or len(currency) != 3 or not currency.isupper():
        raise ValidationFailed(
            "not a currency and rate", field="currency", value=currency, expected="KES 129.5"
        )
    day = (as_of or datetime.now()).date()
    with database_session() as db:
        pay_floors.set_rate(db, currency, per_usd, day, source, None)
    console.print(f"{currency}: {per_usd} per US dollar as of {day}")


@pay_app.command("approve-due")
@clear_errors
def pay_approve_due() -> None:
    """Approve pending pay past its project's review deadline (the server does this by itself)."""
    with database_session() as db:
        approved = pay_service.approve_due(db)
    console.print(f"approved the pay of {approved} assignments")


@pay_app.command("payout")
@clear_errors
def pay_payout(
    currency: Annotated[str, typer.Option(help="ISO 4217 code")],
    out: Annotated[Path, typer.Option(help="where to write the batch")],
    format: Annotated[str, typer.Option(help="csv or json")] = "csv",
) -> None:
    """Pay every approved balance of at least the minimum and write the provider's batch."""
    if format not in ("csv", "json"):
        raise ValidationFailed(
            "unknown format", field="format", value=format, expected="csv or json"
        )
    with database_session() as db:
        minimum = Settings().payout_minimum_minor
        payout, lines = pay_payouts.run_payout(db, currency, minimum=minimum, actor_id=None)
        rows = pay_payouts.batch_rows(payout, lines)
        body = json.dumps(rows, indent=1)
        if format == "csv":
            body = pay_payouts.batch_csv(payout, lines)
    out.write_text(body, encoding="utf-8")
    console.print(
        f"payout {payout.id}: {payout.workers} workers, {payout.total_minor} {currency} minor "
        f"units, batch in {out}"
    )
