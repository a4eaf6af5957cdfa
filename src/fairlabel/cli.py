"""The `fairlabel` command: serve, demo, db upgrade, users, tokens, import, export.

It works on the database directly (it is the operator's tool on the server), with rich
progress bars for long work and a clear one-line error, never a traceback, for bad input."""

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fairlabel import migrate
from fairlabel.auth import service as auth_service
from fairlabel.config import Settings
from fairlabel.db import Database
from fairlabel.demo.seed import seed_demo
from fairlabel.errors import FairlabelError, NotFound, ValidationFailed
from fairlabel.exports import service as export_service
from fairlabel.formats import ExportRecord, RecordSource, get_format
from fairlabel.items import parsing
from fairlabel.items import service as item_service
from fairlabel.items.schemas import ImportReport
from fairlabel.models import MemberRole, Organization, Project, User
from fairlabel.organizations import service as org_service
from fairlabel.projects import service as project_service

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
    console.print(f"database at [bold]{_safe_url(settings)}[/bold] is up to date")


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
    uvicorn.run(
        "fairlabel.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
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
        str, typer.Option("--format", "-f", help="jsonl, coco, yolo, voc, conll")
    ] = "jsonl",
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write")] = Path(
        "export.out"
    ),
) -> None:
    """Export a project's items and annotations, streamed with constant memory."""

    fmt = get_format(format)
    database = Database(Settings())
    try:
        with database.session(write=False) as db:
            project = project_service.get_project(db, project_id)
            info = export_service.describe_project(db, project)
            total = export_service.item_count(db, project_id) * fmt.passes
        fmt.check_project(info)
        source = export_service.record_source(database, project_id, project.overlap)
        with _progress() as progress:
            task = progress.add_task(f"exporting {format}", total=total or None)
            counted = _counting(source, lambda: progress.advance(task))
            written = _write_chunks(fmt.chunks(info, counted), output)
    finally:
        database.dispose()
    console.print(f"wrote [bold]{output}[/bold] ({written:,} bytes)")


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
    with partial.open("wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
            written += len(chunk)
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
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Seed demo projects and users from generated data, print the logins, and serve."""

    settings = Settings()
    migrate.upgrade(settings)
    with database_session(settings) as db:
        logins = seed_demo(db, settings)
    table = Table(title="demo logins")
    for column in ("role", "email", "password"):
        table.add_column(column)
    for login in logins:
        table.add_row(login.role, login.email, login.password)
    console.print(table)
    if serve_after:
        console.print(f"serving on [bold]http://{host}:{port}[/bold] (Ctrl+C to stop)")
        serve(host=host, port=port, workers=1, upgrade=False)


@app.command("import")
@clear_errors
def import_command(
    project_id: Annotated[int, typer.Argument(metavar="PROJECT", help="project id")],
    path: Annotated[Path, typer.Argument(help="a JSONL, JSON or CSV file, or a media folder")],
    format: Annotated[
        str | None, typer.Option("--format", "-f", help="jsonl, json or csv (default: by suffix)")
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

    fmt = parsing.resolve_format(format or path.suffix.lstrip(".").lower(), None)
    with _progress() as progress, path.open("rb") as handle:
        task = progress.add_task(f"importing {path.name}", total=path.stat().st_size)
        chunks = _read_with_progress(handle, lambda n: progress.advance(task, n))
        return item_service.import_rows(
            db, project, parsing.parse(fmt, chunks), skip_invalid=skip_invalid
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


def _print_report(report: ImportReport) -> None:
    console.print(
        f"created {report.created:,}, updated {report.updated:,}, skipped {report.skipped:,}"
    )
    for error in report.errors[:50]:
        console.print(f"  [yellow]skipped[/yellow] {error}")
