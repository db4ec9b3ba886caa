"""A log of customer-service conversations with their truth, for scoring a support bot end to end.

Built from the simulated messages and customers (before pseudonymisation, so the real e-mail and
phone of each order's customer are known): every message becomes a case with a proof of identity
(the right e-mail, the right phone, another customer's e-mail, or none) and the expected outcome,
plus cases a bot must hand off (a request for a person, an angry or abusive customer, an off-topic
question). Written as ``support_log/part-00000.parquet`` beside the simulated tables.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from shopops.simulate._seeds import stream

__all__ = ["SUPPORT_LOG", "support_log", "write_support_log"]

SUPPORT_LOG = "support_log"
_ORDER_INTENTS = ("order_status", "refund_status", "cancel_order")
_PROOFS = ("email", "phone", "wrong_email", "none")
_PROOF_P = (0.55, 0.15, 0.2, 0.1)
_PROOF_TEXT = {("en", "email"): (" My e-mail is {v}.", " (email {v})", " {v}"),
               ("en", "phone"): (" Phone: {v}", " my number is {v}", " {v}"),
               ("zh", "email"): ("我的邮箱是{v}。", "（邮箱：{v}）", "{v}"),
               ("zh", "phone"): ("手机号{v}", "我的电话是{v}。", "{v}")}
_HAND_OFF: dict[str, dict[str, tuple[str, ...]]] = {
    "asked_for_person": {
        "en": ("I want to speak to a real person please", "Can I talk to a human about order {order}?",
               "Put me through to an agent", "I'd rather chat with someone from your team, not a bot"),
        "zh": ("我要人工客服", "请帮我转人工，订单{order}", "能不能让真人来回答", "别让机器人回答了，找个客服"),
    },
    "negative_sentiment": {
        "en": ("This is ridiculous, third time I'm asking about {order}!!!", "ABSOLUTELY UNACCEPTABLE SERVICE, "
               "WHERE IS MY PARCEL", "I am furious, my order {order} is a joke", "You are scammers, I want my money"),
        "zh": ("太离谱了！！！订单{order}问了三次了", "你们就是骗子，还我钱", "气死我了，订单{order}到底怎么回事！！",
               "垃圾服务，再也不买了"),
    },
    "out_of_scope": {
        "en": ("who will win the world cup this year", "can you help me write a cover letter",
               "what is a good recipe for lasagne", "how do I renew my driving licence"),
        "zh": ("今年世界杯谁会赢", "能帮我写一封求职信吗", "千层面怎么做好吃", "驾照怎么续期"),
    },
}


def support_log(messages: pd.DataFrame, customers: pd.DataFrame, seed: int = 0,
                hand_off_share: float = 0.12) -> pd.DataFrame:
    """Cases with their truth (``case_id, ts, text, language, intent, order_id, proof, expected, shown``, ...).

    ``proof`` is how the case proves the order (``email``, ``phone``, ``wrong_email``, ``none``); ``expected`` is
    ``answer``, ``ask`` or ``handoff``; ``shown`` says whether the order's data may appear in the reply.
    """
    rng = stream(seed, "support-log")
    who = customers.set_index("customer_id")
    msgs = messages.dropna(subset=["intent"]).reset_index(drop=True)
    proof = rng.choice(len(_PROOFS), len(msgs), p=_PROOF_P)
    others = customers["email"].dropna().to_numpy()
    rows = []
    for k, m in enumerate(msgs.itertuples(index=False)):
        lang = str(m.language or "en")
        kind = _PROOFS[proof[k]]
        known = m.customer_id is not None and m.customer_id in who.index
        value = None
        if kind == "email" and known:
            value = who.at[m.customer_id, "email"]
        elif kind == "phone" and known:
            value = who.at[m.customer_id, "phone"]
        elif kind == "wrong_email" and others.size:
            value = str(others[rng.integers(others.size)])
            if known and value == who.at[m.customer_id, "email"]:
                value = "someone.else@example.com"
        if value is None or (isinstance(value, float) and np.isnan(value)):
            kind = "none"
        text = str(m.text)
        if kind != "none":
            text += _PROOF_TEXT[lang, "phone" if kind == "phone" else "email"][rng.integers(3)].format(v=value)
        is_order = m.intent in _ORDER_INTENTS and m.order_id is not None
        good = kind in ("email", "phone")
        expected = ("answer" if good else "ask") if is_order else "answer"
        if m.intent == "change_address":
            expected = "handoff"
        rows.append({"case_id": f"M{k:06d}", "ts": m.ts, "text": text, "language": lang, "intent": m.intent,
                     "order_id": m.order_id, "proof": kind, "expected": expected,
                     "expected_reason": "action_needed" if m.intent == "change_address" else None,
                     "shown": bool(is_order and good)})
    n_extra = round(len(msgs) * hand_off_share)
    order_ids = msgs["order_id"].dropna().to_numpy()
    reasons = list(_HAND_OFF)
    for j in range(n_extra):
        reason = reasons[j % len(reasons)]
        lang = "zh" if rng.random() < 0.4 else "en"
        templates = _HAND_OFF[reason][lang]
        order = str(order_ids[rng.integers(order_ids.size)]) if order_ids.size else "100001"
        rows.append({"case_id": f"H{j:06d}", "ts": msgs["ts"].iloc[rng.integers(len(msgs))] if len(msgs) else None,
                     "text": templates[rng.integers(len(templates))].format(order=order),
                     "language": lang, "intent": None, "order_id": None, "proof": "none", "expected": "handoff",
                     "expected_reason": reason, "shown": False})
    return pd.DataFrame(rows)


def write_support_log(out_dir: Path, seed: int) -> Path:
    """Write the support log of the simulated tables in ``out_dir`` to ``out_dir/support_log/part-00000.parquet``."""
    out_dir = Path(out_dir)
    messages = pd.concat([pd.read_parquet(p) for p in sorted((out_dir / "messages").glob("*.parquet"))],
                         ignore_index=True)
    customers = pd.concat([pd.read_parquet(p, columns=["customer_id", "email", "phone"])
                           for p in sorted((out_dir / "customers").glob("*.parquet"))], ignore_index=True)
    path = out_dir / SUPPORT_LOG / "part-00000.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    support_log(messages, customers, seed).to_parquet(path, index=False)
    return path
