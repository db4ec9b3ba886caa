"""Customer service: a bilingual (中文 / English) answer bot over the FAQ and live order data, with hand-off.

The bot reads a message (language and script, entities, intent), answers it from the knowledge base
or from the order's warehouse data once the customer proved the order is theirs, and hands the
conversation to a person (a ticket in the operational store) when it is unsure, asked to, or the
customer is upset. :func:`evaluate_intents` scores the intent model on any labelled set.
"""

from shopops.support._bot import ACTION_INTENTS, ORDER_INTENTS, Reply, SupportBot, redact
from shopops.support._delivery import DeliveryEstimate, DeliveryEstimator
from shopops.support._entities import Entity, extract_entities
from shopops.support._evaluate import (
    EvaluationResult,
    evaluate_intents,
    read_labelled,
    score_predictions,
    split_validation,
)
from shopops.support._intent import IntentClassifier, IntentScores, Threshold, tune_threshold
from shopops.support._kb import KB_SUFFIXES, KnowledgeBaseFile, kb_rows, write_kb_source
from shopops.support._model import FAQ_INTENT, SupportModel, TrainResult, model_stamp, train_support_model
from shopops.support._offtopic import OUT_OF_SCOPE
from shopops.support._orders import OrderFacts, OrderLookup
from shopops.support._retrieval import Hit, HybridRetriever
from shopops.support._scoring import BotEvaluation, score_bot
from shopops.support._shop import (
    knowledge_base,
    labelled_messages,
    open_support_bot,
    support_suggestions,
    train_support,
)
from shopops.support._signals import Signals, read_signals
from shopops.support._store import SupportStore, TicketError, UnknownTicketError
from shopops.support._suggest import suggest_faq_entries
from shopops.support._text import TextInfo, analyse, normalise, to_script, tokens

__all__ = [
    "ACTION_INTENTS",
    "FAQ_INTENT",
    "KB_SUFFIXES",
    "ORDER_INTENTS",
    "OUT_OF_SCOPE",
    "BotEvaluation",
    "DeliveryEstimate",
    "DeliveryEstimator",
    "Entity",
    "EvaluationResult",
    "Hit",
    "HybridRetriever",
    "IntentClassifier",
    "IntentScores",
    "KnowledgeBaseFile",
    "OrderFacts",
    "OrderLookup",
    "Reply",
    "Signals",
    "SupportBot",
    "SupportModel",
    "SupportStore",
    "TextInfo",
    "Threshold",
    "TicketError",
    "TrainResult",
    "UnknownTicketError",
    "analyse",
    "evaluate_intents",
    "extract_entities",
    "kb_rows",
    "knowledge_base",
    "labelled_messages",
    "model_stamp",
    "normalise",
    "open_support_bot",
    "read_labelled",
    "read_signals",
    "redact",
    "score_bot",
    "score_predictions",
    "split_validation",
    "suggest_faq_entries",
    "support_suggestions",
    "to_script",
    "tokens",
    "train_support",
    "train_support_model",
    "tune_threshold",
    "write_kb_source",
]
