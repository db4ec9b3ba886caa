"""Entry points on a shop's data: train from the warehouse, open the bot, suggest FAQ entries."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from shopops.config import Settings
from shopops.errors import ShopopsError
from shopops.ingest.pii import PiiHasher, load_or_create_key
from shopops.opstore import OperationalStore
from shopops.support._bot import SupportBot
from shopops.support._model import SupportModel, TrainResult, train_support_model
from shopops.support._orders import OrderLookup
from shopops.support._store import SupportStore
from shopops.support._suggest import suggest_faq_entries
from shopops.warehouse import Reader

__all__ = ["knowledge_base", "labelled_messages", "open_support_bot", "support_suggestions", "train_support"]


def knowledge_base(reader: Reader) -> pd.DataFrame:
    """The knowledge base of the warehouse (``dim_kb_entry``), one row per question variant."""
    if not reader.has("dim_kb_entry"):
        raise ShopopsError("the warehouse has no knowledge base (dim_kb_entry): rebuild it with `shopops build`")
    return reader.frame("SELECT entry_id, topic, language, question, answer, tags, intent FROM dim_kb_entry "
                        "ORDER BY entry_id, question")


def labelled_messages(reader: Reader, until: str | None = None) -> pd.DataFrame:
    """The shop's labelled customer messages (``fact_message`` rows with an intent), before ``until`` when given."""
    return reader.frame("SELECT message_id, ts, order_id, language, text, intent FROM fact_message "
                        "WHERE intent IS NOT NULL AND (?::TIMESTAMP IS NULL OR ts < ?::TIMESTAMP) "
                        "ORDER BY ts, message_id",
                        [until, until])


def train_support(reader: Reader, *, target_precision: float = 0.98, min_margin: float = 0.05,
                  seed: int = 0, until: str | None = None, save: bool = True) -> TrainResult:
    """Train the support model on the warehouse's messages and knowledge base, and save it in the data directory.

    ``until`` (a timestamp) trains on the messages before it only, so later ones can score the bot.
    """
    result = train_support_model(labelled_messages(reader, until), knowledge_base(reader),
                                 target_precision=target_precision, min_margin=min_margin, seed=seed)
    result.params["until"] = until
    if save and result.support_model is not None:
        result.params["saved_to"] = str(result.support_model.save(reader.data_dir))
    return result


def open_support_bot(reader: Reader, settings: Settings | None = None, *,
                     model: SupportModel | None = None, max_failed_proofs: int = 3) -> SupportBot:
    """The bot of a data directory: its saved model, its warehouse's orders and its operational store."""
    settings = settings or Settings()
    data_dir = Path(reader.data_dir)
    hasher = PiiHasher(load_or_create_key(data_dir, settings.pii_key))
    return SupportBot(model or SupportModel.load(data_dir), OrderLookup(reader, hasher),
                      SupportStore(OperationalStore.for_data_dir(data_dir)), max_failed_proofs=max_failed_proofs)


def support_suggestions(store: SupportStore, *, min_count: int = 1) -> pd.DataFrame:
    """Suggested new FAQ entries from handed-off questions the agents answered (see :func:`suggest_faq_entries`)."""
    return suggest_faq_entries(store.answered_hand_offs(), min_count=min_count)
