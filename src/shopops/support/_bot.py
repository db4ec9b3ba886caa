"""The answer bot: one customer message in, one reply out, with the reasons for it.

The order of decisions, for every message:

1. Empty or too long: a plain reply, nothing classified. A follow-up that gives the e-mail or phone asked for
   continues the pending order look-up; otherwise a message without words (emoji, punctuation) is asked again.
2. A request for a person, abuse or strong anger: hand off.
3. An attempt to get the bot's instructions or another customer's data: refuse (and never look anything up).
4. A language other than Chinese or English: hand off.
6. The intent model: below the tuned confidence threshold, or the top two intents too close: hand off.
7. An order intent with an order number: check the proof, answer from the warehouse; after too many failed
   proofs for the conversation, the API key or the IP address, stop looking up and hand off.
8. Otherwise the knowledge-base entry of the intent (or the best entry for ``faq``), in the customer's
   language and script.

Every hand-off opens a ticket (priority, reason, language, SLA due time) in the operational store.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from shopops.support._entities import Entity, extract_entities
from shopops.support._model import FAQ_INTENT, SupportModel
from shopops.support._offtopic import OUT_OF_SCOPE
from shopops.support._orders import OrderFacts, OrderLookup
from shopops.support._replies import order_reply, reply
from shopops.support._retrieval import Hit
from shopops.support._signals import read_signals
from shopops.support._store import SupportStore
from shopops.support._text import analyse, to_script

__all__ = ["ACTION_INTENTS", "ORDER_INTENTS", "Reply", "SupportBot"]

#: Intents answered from the order's own data when the customer names an order and proves it.
ORDER_INTENTS = frozenset({"order_status", "refund_status", "cancel_order"})
#: Intents that need a person to change something; the bot answers the policy and hands off.
ACTION_INTENTS = frozenset({"change_address"})
_MAX_CHARS = 5000


@dataclass
class Reply:
    """The bot's reply to one message, with why.

    Attributes
    ----------
    conversation_id : str
        The conversation (new when the caller gave none).
    text : str
        The reply, in the customer's language and script.
    action : str
        ``answer`` (from the knowledge base or the warehouse), ``ask`` (for an order number or a proof),
        ``refuse`` or ``handoff``.
    language : str
        Language of the reply (``en`` / ``zh``); ``detected`` is what the message was written in.
    intent, confidence, runner_up, margin : str, float, str, float
        The intent model's decision (empty when no model was asked).
    handoff_reason : str or None
        Why it was handed off (``asked_for_person``, ``negative_sentiment``, ``abuse``, ``low_confidence``,
        ``ambiguous``, ``out_of_scope``, ``failed_proofs``, ``action_needed``, ``unsupported_language``).
    priority : str or None
        The priority of the hand-off ticket (``normal``, ``high``).
    ticket_id : str or None
        The ticket a hand-off opened (or the conversation's ticket already open).
    source : dict or None
        The knowledge-base entry the answer came from (entry id, topic, question matched, score).
    looked_up : dict or None
        The data looked up: order id, whether the proof matched, the warehouse tables read.
    entities : list of Entity
        What was found in the message.
    """

    conversation_id: str
    text: str
    action: str
    language: str
    detected: str
    intent: str = ""
    confidence: float = 0.0
    runner_up: str = ""
    margin: float = 0.0
    handoff_reason: str | None = None
    priority: str | None = None
    ticket_id: str | None = None
    source: dict[str, Any] | None = None
    looked_up: dict[str, Any] | None = None
    entities: list[Entity] = field(default_factory=list)

    def explain(self) -> str:
        """Why the bot said this, in a few lines."""
        lines = [f"action: {self.action}" + (f" ({self.handoff_reason})" if self.handoff_reason else "")]
        if self.intent:
            lines.append(f"intent: {self.intent} {self.confidence:.2f} (next: {self.runner_up}, margin "
                         f"{self.margin:.2f})")
        if self.source:
            lines.append(f"source: {self.source['entry_id']} (matched \"{self.source['question']}\", score "
                         f"{self.source['score']:.2f})")
        if self.looked_up:
            lines.append(f"looked up: order {self.looked_up['order_id']}, proof "
                         f"{'matched' if self.looked_up['proven'] else 'not matched'}, tables "
                         f"{', '.join(self.looked_up.get('tables', [])) or 'none'}")
            expected = self.looked_up.get("expected_delivery")
            if expected:
                lines.append(f"expected delivery: {expected['expected_at']} (latest {expected['latest_at']}; route "
                             f"{expected['route']}, {expected['orders']} orders, as of {expected['as_of']})")
        if self.ticket_id:
            lines.append(f"ticket: {self.ticket_id}")
        return "\n".join(lines)


class SupportBot:
    """The bilingual answer bot over a trained model, the warehouse's orders and the operational store.

    Parameters
    ----------
    model : SupportModel
        The trained model (:func:`shopops.support.train_support_model`).
    orders : OrderLookup
        Where order facts come from.
    store : SupportStore
        Where conversations and tickets are kept.
    max_failed_proofs : int
        Failed proofs (per conversation, API key or IP address, over 24 hours) after which the bot stops
        looking up orders and hands off.
    anger_threshold : float
        Hand off at this anger score or above.
    """

    def __init__(self, model: SupportModel, orders: OrderLookup, store: SupportStore, *,
                 max_failed_proofs: int = 3, anger_threshold: float = 0.6) -> None:
        self.model = model
        self.orders = orders
        self.store = store
        self.max_failed_proofs = max_failed_proofs
        self.anger_threshold = anger_threshold

    # ------------------------------------------------------------------ the one entry point
    def message(self, text: str, *, conversation_id: str | None = None, customer_email: str | None = None,
                customer_phone: str | None = None, client: str | None = None, ip: str | None = None,
                channel: str | None = None) -> Reply:
        """Answer one customer message and record the turn.

        Parameters
        ----------
        text : str
            The message.
        conversation_id : str or None
            The conversation it belongs to; a new one is started when None or unknown.
        customer_email, customer_phone : str or None
            Proof of identity the channel already has (a signed-in customer), used like one typed in.
        client, ip : str or None
            Who sends it (API key id, IP address): failed proofs are counted per conversation, client and IP.
        channel : str or None
            Where the message came from (chat, e-mail, ...).
        """
        conversation_id = (conversation_id or "").strip() or "C" + secrets.token_hex(8)
        state = self.store.state(conversation_id) or {}
        info = analyse(text[:_MAX_CHARS])
        lang = "zh" if info.language in ("zh", "mixed") else "en"
        if info.language in ("none", "other") and state.get("lang"):
            lang = state["lang"]
        traditional = info.traditional or (info.language not in ("zh", "mixed") and bool(state.get("traditional")))
        entities = extract_entities(text[:_MAX_CHARS])
        base = {"conversation_id": conversation_id, "language": lang, "detected": info.language,
                "entities": entities}
        out = self._decide(text, info.text, info.language, lang, entities, state, customer_email, customer_phone,
                           client, ip, base)
        if lang == "zh":
            out.text = to_script(out.text, traditional)
        state.update({"lang": lang, "traditional": traditional})
        self._record(out, text, state, channel)
        return out

    # ------------------------------------------------------------------ decisions
    def _decide(self, text: str, norm: str, detected: str, lang: str, entities: list[Entity],
                state: dict[str, Any], email: str | None, phone: str | None, client: str | None, ip: str | None,
                base: dict[str, Any]) -> Reply:
        if not text.strip():
            return Reply(text=reply("empty", lang), action="ask", **base)
        if len(text) > _MAX_CHARS:
            return Reply(text=reply("too_long", lang, chars=f"{len(text):,}", limit=f"{_MAX_CHARS:,}"), action="ask",
                         **base)
        email_p, phone_p = self._proofs(entities, email, phone, state)
        order_id = next((e.value for e in entities if e.kind == "order_id"), None)
        signals = read_signals(text, norm)
        # A reply that only gives the e-mail or phone asked for (it may hold no words at all).
        if state.get("pending_order") and order_id is None and (email_p or phone_p) and not (
                signals.wants_human or signals.abuse or signals.injection):
            return self._order_answer(str(state["pending_order"]), str(state.get("pending_intent") or "order_status"),
                                      email_p, phone_p, state, client, ip, lang, base, scores=None)
        if detected == "none":
            return Reply(text=reply("no_words", lang), action="ask", **base)
        if signals.wants_human:
            return self._handoff("asked_for_person", "normal", lang, base)
        if signals.abuse:
            return self._handoff("abuse", "high", lang, base)
        if signals.anger >= self.anger_threshold:
            return self._handoff("negative_sentiment", "high", lang, base)
        if signals.injection:
            return Reply(text=reply("injection", lang), action="refuse", **base)
        if detected == "other":
            return self._handoff("unsupported_language", "normal", lang, base)


        s = self.model.classifier.score([norm])
        intent, conf, runner, margin = str(s.intent[0]), float(s.confidence[0]), str(s.runner_up[0]), float(s.margin[0])
        scored = {"intent": intent, "confidence": conf, "runner_up": runner, "margin": margin}
        if conf < self.model.threshold.value:
            return self._handoff("low_confidence", "normal", lang, base, scored)
        if margin < self.model.min_margin:
            return self._handoff("ambiguous", "normal", lang, base, scored)
        if intent == OUT_OF_SCOPE:
            return self._handoff("out_of_scope", "normal", lang, base, scored)
        if intent in ORDER_INTENTS and order_id is not None:
            return self._order_answer(order_id, intent, email_p, phone_p, state, client, ip, lang, base, scored)
        hit = self._entry(norm, intent, lang)
        if hit is None:
            return self._handoff("low_confidence", "normal", lang, base, scored)
        answer = self.model.answer_of(hit.entry_id)
        source = {"entry_id": hit.entry_id, "topic": hit.topic, "question": hit.question, "score": hit.score}
        if intent in ACTION_INTENTS:
            out = self._handoff("action_needed", "normal", lang, base, scored)
            out.text = answer + "\n" + out.text
            out.source = source
            return out
        return Reply(text=answer, action="answer", source=source, **base, **scored)  # type: ignore[arg-type]

    def _entry(self, norm: str, intent: str, lang: str) -> Hit | None:
        """The best knowledge-base entry for the message: of its intent when entries name it, in ``lang``."""
        hits = self.model.retriever.search(norm, k=25)
        if not hits:
            return None
        if intent != FAQ_INTENT:
            topics = self.model.topics_of(intent)
            hits = [h for h in hits if h.topic in topics] or hits
        best = hits[0]
        # The character cosine is absolute (BM25 is scaled per query): a "faq" answer needs a real match.
        if intent == FAQ_INTENT and best.cosine < 0.3:
            return None
        entry = self.model.entry_in(best.topic, lang)
        if entry is None or entry == best.entry_id:
            return best
        return Hit(entry, best.topic, lang, best.question, best.score, best.bm25, best.cosine)

    def _proofs(self, entities: list[Entity], email: str | None, phone: str | None,
                state: dict[str, Any]) -> tuple[str | None, str | None]:
        email = email or next((e.value for e in entities if e.kind == "email"), None)
        phone = phone or next((e.value for e in entities if e.kind == "phone"), None)
        email_p, phone_p = self.orders.pseudonyms(email=email, phone=phone)
        # Only pseudonyms are kept in the conversation's state.
        email_p = email_p or state.get("email_p")
        phone_p = phone_p or state.get("phone_p")
        state["email_p"], state["phone_p"] = email_p, phone_p
        return email_p, phone_p

    def _order_answer(self, order_id: str, intent: str, email_p: str | None, phone_p: str | None,
                      state: dict[str, Any], client: str | None, ip: str | None, lang: str, base: dict[str, Any],
                      scores: dict[str, Any] | None) -> Reply:
        scored = scores or {"intent": intent, "confidence": 1.0, "runner_up": "", "margin": 1.0}
        scopes = [f"conv:{base['conversation_id']}"] + ([f"key:{client}"] if client else []) + (
            [f"ip:{ip}"] if ip else [])
        if self.store.failures(scopes) >= self.max_failed_proofs:
            state.pop("pending_order", None)
            return self._handoff("failed_proofs", "high", lang, base, scored)
        if not email_p and not phone_p:
            state["pending_order"], state["pending_intent"] = order_id, intent
            return Reply(text=reply("ask_proof", lang, order=order_id), action="ask", **base, **scored)
        facts: OrderFacts = self.orders.lookup(order_id, email_pseudonym=email_p, phone_pseudonym=phone_p)
        looked: dict[str, Any] = {"order_id": order_id, "proven": facts.proven, "tables": facts.looked_up}
        if facts.expected is not None:
            e = facts.expected
            looked["expected_delivery"] = {"expected_at": e.expected_at.isoformat(timespec="minutes"),
                                           "latest_at": e.latest_at.isoformat(timespec="minutes"), "route": e.route,
                                           "orders": e.orders, "as_of": e.as_of.isoformat(timespec="minutes")}
        if not facts.proven:
            self.store.add_failure(scopes)
            state.pop("email_p", None)
            state.pop("phone_p", None)
            if self.store.failures(scopes) >= self.max_failed_proofs:
                state.pop("pending_order", None)
                out = self._handoff("failed_proofs", "high", lang, base, scored)
                out.looked_up = looked
                return out
            state["pending_order"], state["pending_intent"] = order_id, intent
            return Reply(text=reply("no_match", lang, order=order_id), action="ask", looked_up=looked, **base,
                         **scored)
        state.pop("pending_order", None)
        state.pop("pending_intent", None)
        text = order_reply(facts, lang, with_refunds=intent in ("refund_status", "cancel_order"))
        return Reply(text=text, action="answer", looked_up=looked, **base, **scored)

    def _handoff(self, why: str, priority: str, lang: str, base: dict[str, Any],
                 scores: dict[str, Any] | None = None) -> Reply:
        hours = {"urgent": 1, "high": 4}.get(priority, 24)
        return Reply(text=reply("handoff", lang, why=why, sla=hours), action="handoff", handoff_reason=why,
                     priority=priority, **base, **(scores or {}))

    # ------------------------------------------------------------------ storage
    def _record(self, out: Reply, text: str, state: dict[str, Any], channel: str | None) -> None:
        stored = redact(text, out.entities, self.orders) if len(text) <= _MAX_CHARS else \
            f"[message of {len(text):,} characters, not stored]"
        details = {"source": out.source, "looked_up": out.looked_up, "runner_up": out.runner_up,
                   "margin": out.margin, "reason": out.handoff_reason, "detected": out.detected}
        ticket = ({"priority": out.priority or "normal", "reason": out.handoff_reason}
                  if out.action == "handoff" else None)
        status = "handed_off" if out.action == "handoff" else (state.get("status") or "open")
        if status == "closed":
            status = "open"
        out.ticket_id = self.store.record_turn(
            out.conversation_id, channel=channel, language=out.language, state=state, status=status,
            customer={"role": "customer", "text": stored, "intent": out.intent or None,
                      "confidence": out.confidence if out.intent else None},
            bot={"role": "bot", "text": out.text, "intent": out.intent or None, "action": out.action,
                 "details": details}, ticket=ticket)


def redact(text: str, entities: list[Entity], orders: OrderLookup) -> str:
    """``text`` with e-mails, phone numbers and addresses replaced by their pseudonyms."""
    out, last = [], 0
    for e in entities:
        if e.kind not in ("email", "phone", "address"):
            continue
        if e.kind == "address":
            token = orders.hasher.pseudonym("address", e.value)
        else:
            email_p, phone_p = orders.pseudonyms(**{e.kind: e.value})
            token = email_p or phone_p or ""
        out.append(text[last:e.start])
        out.append(f"[{e.kind}:{token}]")
        last = e.end
    out.append(text[last:])
    return "".join(out)
