"""What every command shares: the Typer app, the shared options, the output helpers and the one error handler."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from typer.core import TyperGroup

from shopops._csv import csv_text, write_csv
from shopops.errors import NoWarehouseError, ShopopsError

if TYPE_CHECKING:
    from shopops.shop import Shop

__all__ = ["DataOpt", "FormatOpt", "app", "console", "emit", "err_console", "fail", "say_waits", "serve_dashboard",
           "steps", "warn_if_stale", "write_frame"]

console = Console()
err_console = Console(stderr=True)

DataOpt = Annotated[Path | None, typer.Option("--data", "-d", help="Data directory, or s3://bucket/prefix for a lake "
                                                                     "on object storage (default: $SHOPOPS_DATA_DIR "
                                                                     "or ./shopops-data).")]
FormatOpt = Annotated[str, typer.Option("--format", help="table, csv or json.")]

_NO_WAREHOUSE_HINT = "run `shopops ingest FILE` or `shopops simulate` first"


def fail(exc: ShopopsError) -> NoReturn:
    """Print a library error as ``error: <message>`` on stderr and exit with code 2."""
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
    if isinstance(exc, NoWarehouseError):
        err_console.print(f"hint: {_NO_WAREHOUSE_HINT}")
    raise typer.Exit(code=2)


class _ShopopsGroup(TyperGroup):
    """The root command group: every sub-command runs inside it, so its ``invoke`` is the one error handler.

    It handles errors whether the app runs as the console script or is called by ``typer.testing.CliRunner``.
    """

    def invoke(self, ctx: Any) -> Any:  # Any: Typer types it with its vendored click's Context, a private module
        # The sub-command's words (click keeps the first apart; its name for them changed between versions).
        args = [*getattr(ctx, "_protected_args", getattr(ctx, "protected_args", [])), *ctx.args]
        try:
            result = super().invoke(ctx)
        except ShopopsError as exc:
            fail(exc)
        warn_if_stale(_data_dir_of(args))
        return result


def _data_dir_of(args: list[str]) -> Path:
    """The local ``--data`` directory a command line names (else the default one); a lake URI gives its local folder."""
    from shopops.config import Settings
    from shopops.lake import resolve_data_dir

    settings = Settings()
    named: str | Path = settings.data_dir
    for i, arg in enumerate(args):
        if arg in ("--data", "-d") and i + 1 < len(args):
            named = args[i + 1]
            break
        if arg.startswith("--data="):
            named = arg.split("=", 1)[1]
            break
    try:
        return resolve_data_dir(named, settings.local_dir)
    except ShopopsError:
        return Path(named)


def warn_if_stale(data_dir: Path) -> None:
    """Say on stderr when the warehouse answers from an older state than the lake holds."""
    from shopops.warehouse import warehouse_status

    try:
        message = warehouse_status(data_dir).message()
    except (OSError, ValueError):  # an unreadable build record is reported by the commands that read it
        return
    if message:
        err_console.print(f"[bold yellow]warning:[/] {escape(message)}")


app = typer.Typer(cls=_ShopopsGroup, add_completion=False, no_args_is_help=True,
                  help="shopops: run an online shop's operations on data.")


@contextmanager
def steps(title: str) -> Iterator[Callable[[str], None]]:
    """A Rich spinner that shows the current step of a long job."""
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn(),
                  console=err_console, transient=True, disable=not err_console.is_terminal) as progress:
        task = progress.add_task(title)
        yield lambda msg: progress.update(task, description=f"{title}: {msg}")


def say_waits(step: Callable[[str], None]) -> Callable[[str], None]:
    """``step``, and a waiting message printed on stderr too: a spinner is not shown when output is piped."""
    def show(message: str) -> None:
        step(message)
        if message.startswith("waiting for another writer"):
            err_console.print(f"[yellow]{escape(message)}…[/]")
    return show


def _frame_table(df: pd.DataFrame, title: str) -> RichTable:
    table = RichTable(title=title, show_lines=False, header_style="bold cyan")
    for col in df.columns:
        table.add_column(str(col), justify="right" if pd.api.types.is_numeric_dtype(df[col]) else "left")
    for row in df.itertuples(index=False):
        cells = []
        for value, col in zip(row, df.columns, strict=True):
            if isinstance(value, float):
                is_rate = str(col).endswith("rate")
                cells.append("" if pd.isna(value) else (f"{value:.1%}" if is_rate else f"{value:,.2f}"))
            else:
                cells.append("" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value))
        table.add_row(*cells)
    return table


def emit(df: pd.DataFrame, fmt: str, title: str) -> None:
    """Print ``df`` as a Rich table, CSV (formula-escaped) or JSON records (``--format``)."""
    if fmt == "csv":
        sys.stdout.write(csv_text(df))
    elif fmt == "json":
        sys.stdout.write(df.to_json(orient="records", date_format="iso", indent=1) + "\n")
    elif fmt == "table":
        console.print(_frame_table(df, title))
    else:
        raise ShopopsError(f"--format must be table, csv or json, not {fmt!r}")


def write_frame(df: pd.DataFrame, out: Path) -> Path:
    """Write ``df`` as CSV (formula-escaped), or Parquet when ``out`` ends in .parquet; return the path."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".parquet":
            df.to_parquet(out, index=False)
        else:
            write_csv(df, out)
    except OSError as exc:
        raise ShopopsError(f"cannot write {out}: {exc.strerror}; choose another --out path") from None
    console.print(f"wrote {len(df):,} rows to {out}")
    return out


def serve_dashboard(shop: Shop, host: str, port: int, *, demo_key: bool = False) -> None:
    """Serve the API and the dashboard of ``shop``; ``demo_key`` signs the printed link in with a new admin key."""
    from shopops.api import KeyStore, ServiceSettings, serve

    settings = ServiceSettings(host=host, port=port)
    fragment = ""
    if demo_key:
        _record, secret = KeyStore.for_data_dir(shop.data_dir).create("admin", "demo")
        fragment = f"#key={secret}"

    def ready(url: str) -> None:
        console.print(f"[bold green]dashboard:[/] {url}{fragment}  (API docs: {url}docs; Ctrl+C stops)",
                      soft_wrap=True)

    serve(shop, settings, on_ready=ready)
