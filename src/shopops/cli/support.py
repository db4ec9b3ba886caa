"""Customer service: ``shopops support train | ask | chat | evaluate | kb | tickets | reply | close | suggest``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape

from shopops.cli._app import DataOpt, FormatOpt, app, console, emit, steps, write_frame
from shopops.errors import ShopopsError
from shopops.shop import Shop

__all__ = ["support_app"]

support_app = typer.Typer(no_args_is_help=True, help="The bilingual answer bot, its knowledge base and tickets.")
app.add_typer(support_app, name="support")

FilesOpt = Annotated[list[Path], typer.Option(help="Labelled Parquet or CSV file; repeat for several.")]


@support_app.command("train")
def train(
    data: DataOpt = None,
    target_precision: Annotated[float, typer.Option(help="Answers above the tuned threshold are right this "
                                                         "often on validation.")] = 0.98,
    seed: Annotated[int, typer.Option(help="Seed of the validation split and the classifier.")] = 0,
    until: Annotated[str | None, typer.Option(help="Train on messages before this timestamp only.")] = None,
) -> None:
    """Train the intent model and the knowledge-base index on the shop's data, stored in the data directory."""
    with steps("support train") as step:
        step("intents, threshold, knowledge base")
        result = Shop.open(data).support_train(target_precision=target_precision, seed=seed, until=until)
    m = result.metrics
    console.print(f"[bold green]trained[/] on {m['train_texts']:,} texts, {m['intents']} intents in "
                  f"{m['train_seconds']:.1f} s; saved to {result.params.get('saved_to')}")
    console.print(f"validation ({m['val_texts']:,} messages): accuracy {m['val_accuracy']:.3f}, macro F1 "
                  f"{m['val_macro_f1']:.3f}; threshold {m['threshold']:.3f} answers {m['answered_share']:.1%} at "
                  f"precision {m['answered_precision']:.3f}")


def _print_reply(r: object, fmt: str) -> None:
    from shopops.support import Reply

    assert isinstance(r, Reply)
    if fmt == "json":
        payload = {"conversation_id": r.conversation_id, "text": r.text, "action": r.action, "language": r.language,
                   "intent": r.intent, "confidence": r.confidence, "handoff_reason": r.handoff_reason,
                   "ticket_id": r.ticket_id, "source": r.source, "looked_up": r.looked_up}
        console.print_json(json.dumps(payload, ensure_ascii=False, default=str))
        return
    console.print(f"[bold]{escape(r.text)}[/]")
    console.print(f"[dim]{escape(r.explain())}\nconversation: {r.conversation_id}[/]")


@support_app.command("ask")
def ask(
    message: Annotated[str, typer.Argument(help="The customer's message.")],
    data: DataOpt = None,
    customer_email: Annotated[str | None, typer.Option(help="The customer's e-mail (proof of their orders).")] = None,
    customer_phone: Annotated[str | None, typer.Option(help="The customer's phone (proof of their orders).")] = None,
    conversation: Annotated[str | None, typer.Option(help="Continue this conversation.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Answer one message: the reply, the intent, its confidence and the source entry."""
    bot = Shop.open(data).support_bot()
    _print_reply(bot.message(message, conversation_id=conversation, customer_email=customer_email,
                             customer_phone=customer_phone, client="cli", channel="cli"), fmt)


@support_app.command("chat")
def chat(
    data: DataOpt = None,
    customer_email: Annotated[str | None, typer.Option(help="The customer's e-mail (proof of their orders).")] = None,
) -> None:
    """An interactive session with the bot (an empty line or Ctrl+D ends it)."""
    bot = Shop.open(data).support_bot()
    conversation: str | None = None
    console.print("[dim]support chat: type a message, an empty line ends[/]")
    while True:
        try:
            line = input("you> ")
        except EOFError:
            break
        if not line.strip():
            break
        r = bot.message(line, conversation_id=conversation, customer_email=customer_email, client="cli-chat",
                        channel="cli")
        conversation = r.conversation_id
        console.print(f"[bold cyan]bot>[/] {escape(r.text)}")
        console.print(f"[dim]{escape(r.explain())}[/]")


@support_app.command("evaluate")
def evaluate(
    train_files: Annotated[list[Path], typer.Option("--train", help="Training file(s), Parquet or CSV.")],
    test_files: Annotated[list[Path], typer.Option("--test", help="File(s) to score.")],
    out: Annotated[Path, typer.Option(help="Write text, label, predicted, confidence of every test text here.")],
    val_files: Annotated[list[Path] | None, typer.Option("--val", help="Validation file(s) to tune the hand-off "
                                                                      "threshold on.")] = None,
    val_share: Annotated[float, typer.Option(help="Without --val: this share of --train, stratified, is the "
                                                  "validation split.")] = 0.15,
    text: Annotated[str | None, typer.Option(help="Text column (default: text, instruction, ...).")] = None,
    label: Annotated[str | None, typer.Option(help="Label column (default: intent, label, category, ...).")] = None,
    oos: Annotated[str | None, typer.Option(help="The out-of-scope label (handed-off texts are predicted as it).")]
    = None,
    target_precision: Annotated[float | None, typer.Option(help="Tune the threshold for this answered "
                                                                "precision instead.")] = None,
    max_accuracy_loss: Annotated[float, typer.Option(help="With --oos: in-scope accuracy the threshold may cost.")]
    = 0.01,
    seed: Annotated[int, typer.Option(help="Seed of the validation split.")] = 0,
) -> None:
    """Train the intent model on any labelled set, tune the hand-off threshold on validation, score the test set."""
    from shopops.support import evaluate_intents, read_labelled, split_validation

    with steps("support evaluate") as step:
        step("read")
        train_df = read_labelled(train_files, text, label)
        if val_files:
            val_df = read_labelled(val_files, text, label)
        else:
            train_df, val_df = split_validation(train_df, val_share, seed)
        test_df = read_labelled(test_files, text, label)
        if oos is not None and oos not in set(train_df["label"]) | set(val_df["label"]) | set(test_df["label"]):
            raise ShopopsError(f"--oos {oos!r} is not a label of the files; labels look like: "
                               f"{', '.join(sorted(set(train_df['label']))[:5])}")
        step(f"train on {len(train_df):,}, tune on {len(val_df):,}, score {len(test_df):,}")
        result = evaluate_intents(train_df, val_df, test_df, oos_label=oos, target_precision=target_precision,
                                  max_accuracy_loss=max_accuracy_loss)
    write_frame(result.predictions, out)
    m = result.metrics
    rows = [("texts", f"{int(m['texts']):,}"), ("accuracy", f"{m['accuracy']:.4f}")]
    if oos is not None:
        rows += [("in-scope accuracy", f"{m['in_scope_accuracy']:.4f}"), ("out-of-scope recall",
                 f"{m['oos_recall']:.4f}"), ("out-of-scope precision", f"{m['oos_precision']:.4f}"),
                 ("handed off", f"{m['handed_off']:.4f}")]
    rows += [("macro F1", f"{m['macro_f1']:.4f}"), ("threshold", f"{m['threshold']:.4f} "
             f"({result.params['threshold_objective']})")]
    emit(pd.DataFrame(rows, columns=["metric", "value"]), "table", "Intent evaluation")


@support_app.command("kb")
def kb(
    paths: Annotated[list[Path], typer.Argument(help="Knowledge-base files or folders (.md, .csv, .json).")],
    data: DataOpt = None,
) -> None:
    """Load FAQ and policy entries through the validated ingest (bad entries are quarantined with a reason)."""
    from shopops.cli.data import print_ingest

    with steps("knowledge base") as step:
        result, notes = Shop.open(data).support_load_kb(paths, on_step=step)
    for note in notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
    print_ingest(result)


@support_app.command("tickets")
def tickets(
    data: DataOpt = None,
    status: Annotated[str, typer.Option(help="open, closed or all.")] = "open",
    fmt: FormatOpt = "table",
) -> None:
    """The hand-off queue, most urgent first."""
    if status not in ("open", "closed", "all"):
        raise ShopopsError(f"--status must be open, closed or all, not {status!r}")
    df = Shop.open(data).support_store().tickets(None if status == "all" else status)
    emit(df[["ticket_id", "priority", "reason", "language", "status", "sla_due", "last_message"]], fmt,
         f"Tickets ({status})")


@support_app.command("reply")
def reply(
    ticket_id: Annotated[str, typer.Argument(help="The ticket.")],
    text: Annotated[str, typer.Argument(help="The agent's reply.")],
    data: DataOpt = None,
    agent: Annotated[str, typer.Option(help="Who replies.")] = "cli",
    close: Annotated[bool, typer.Option(help="Close the ticket with this reply.")] = False,
) -> None:
    """Reply to a ticket as an agent (and optionally close it)."""
    t = Shop.open(data).support_store().reply(ticket_id, agent, text, close=close)
    console.print(f"ticket {t['ticket_id']}: {t['status']}")


@support_app.command("close")
def close(ticket_id: Annotated[str, typer.Argument(help="The ticket.")], data: DataOpt = None,
          agent: Annotated[str, typer.Option(help="Who closes it.")] = "cli") -> None:
    """Close a ticket."""
    t = Shop.open(data).support_store().close(ticket_id, agent)
    console.print(f"ticket {t['ticket_id']}: {t['status']}")


@support_app.command("suggest")
def suggest(data: DataOpt = None, min_count: Annotated[int, typer.Option(help="Smallest group to list.")] = 1,
            out: Annotated[Path | None, typer.Option(help="Write the suggestions to this file.")] = None,
            fmt: FormatOpt = "table") -> None:
    """New FAQ entries suggested from handed-off questions and the agents' replies, most frequent first."""
    df = Shop.open(data).support_suggestions(min_count)
    emit(df, fmt, "Suggested FAQ entries")
    if out is not None:
        write_frame(df, out)
