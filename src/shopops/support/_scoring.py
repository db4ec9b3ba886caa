"""Scoring the whole bot on conversations with their truth: answers, hand-offs, resolution, privacy.

Each case is sent as the first message of a fresh conversation. Its truth says what should happen
(``answer``, ``ask`` for a proof, or ``handoff``), which intent it has and whether the order's data may
be shown (only with the right e-mail or phone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from shopops.result import Result
from shopops.support._bot import SupportBot

__all__ = ["BotEvaluation", "score_bot"]


@dataclass(kw_only=True)
class BotEvaluation(Result):
    """How the bot did on a set of cases.

    Attributes
    ----------
    cases : DataFrame
        Every case with the bot's ``action``, ``intent_predicted``, ``confidence``, ``shown`` (order data in the
        reply), ``reason`` and whether the outcome was ``right``.
    """

    capability: ClassVar[str] = "support"
    cases: pd.DataFrame = field(default_factory=pd.DataFrame)


def score_bot(bot: SupportBot, cases: pd.DataFrame, *, client: str = "bench") -> BotEvaluation:
    """Run every case through ``bot`` and measure it.

    Metrics: ``answer_accuracy`` (answered cases whose intent was right), ``wrong_answer_rate`` (answered cases
    that were wrong, over all cases), ``resolved_share`` (cases the bot handled without a person),
    ``handoff_precision`` / ``handoff_recall`` (against the cases that must be handed off), and for order
    questions ``order_shown_with_proof`` (share shown when the proof was right) and ``order_shown_without_proof``
    (count shown when it was not: must be 0).
    """
    out = []
    for k, case in enumerate(cases.itertuples(index=False)):
        # A client per case: the guessing limit is per key and IP, and the cases are independent customers.
        r = bot.message(str(case.text), client=f"{client}-{k}")
        shown = bool(r.looked_up and r.looked_up.get("proven"))
        out.append({"action": r.action, "intent_predicted": r.intent, "confidence": r.confidence, "shown": shown,
                    "reason": r.handoff_reason, "reply": r.text})
    got = pd.concat([cases.reset_index(drop=True), pd.DataFrame(out).rename(columns={"shown": "shown_got"})], axis=1)
    expected, action = got["expected"].to_numpy(), got["action"].to_numpy()
    answered = action == "answer"
    intent_ok = got["intent_predicted"].to_numpy() == got["intent"].to_numpy()
    order_case = got["shown"].to_numpy(dtype=bool) | (got["proof"].isin(["wrong_email", "none"]).to_numpy()
                                                      & (expected == "ask"))
    right_answer = answered & intent_ok & (got["shown_got"].to_numpy() == got["shown"].to_numpy())
    got["right"] = np.where(expected == "handoff", action == "handoff",
                            np.where(expected == "ask", (action == "ask") & intent_ok, right_answer))
    must = expected == "handoff"
    did = action == "handoff"
    wrong_answers = answered & ~right_answer
    metrics = {
        "cases": len(got),
        "answer_accuracy": float(right_answer[answered].mean()) if answered.any() else float("nan"),
        "wrong_answer_rate": float(wrong_answers.mean()),
        "resolved_share": float((~did).mean()),
        "resolved_right_share": float((~did & got["right"].to_numpy()).mean()),
        "handoff_precision": float(must[did].mean()) if did.any() else float("nan"),
        "handoff_recall": float(did[must].mean()) if must.any() else float("nan"),
        "outcome_accuracy": float(got["right"].mean()),
        "order_cases_with_proof": int(got["shown"].sum()),
        "order_shown_with_proof": float(got.loc[got["shown"], "shown_got"].mean()) if got["shown"].any()
        else float("nan"),
        "order_shown_without_proof": int((got["shown_got"] & ~got["shown"]).sum()),
        "order_cases": int(order_case.sum()),
    }
    return BotEvaluation(model="support bot", params={"client": client}, metrics=metrics, cases=got)
