"""The bot's words: reply templates in English and Chinese, filled with data, never written freely.

Chinese replies are written in simplified characters and converted to traditional ones when the
customer wrote in 繁體 (:func:`shopops.support._text.to_script`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shopops.support._orders import OrderFacts

__all__ = ["REPLIES", "order_reply", "reply"]

REPLIES: dict[str, dict[str, str]] = {
    "empty": {"en": "Your message was empty. How can I help you?",
              "zh": "您的消息是空的。请问有什么可以帮您？"},
    "no_words": {"en": "I could not find any words in your message. Could you tell me what you need?",
                 "zh": "我没能从您的消息中读到文字，请问您需要什么帮助？"},
    "too_long": {"en": "Your message is too long for me ({chars} characters; at most {limit}). Please send the "
                       "question in a few sentences.",
                 "zh": "您的消息太长了（{chars}个字符，最多{limit}个），请用几句话描述您的问题。"},
    "ask_order": {"en": "I can check that for you. What is the order number?",
                  "zh": "我可以帮您查询。请问订单号是多少？"},
    "ask_proof": {"en": "To protect your privacy, please also give the e-mail address or phone number used for "
                        "order {order}.",
                  "zh": "为保护您的隐私，请同时提供订单{order}下单时使用的邮箱或手机号。"},
    "no_match": {"en": "I could not match order {order} with that e-mail or phone number. Please check both and "
                       "try again.",
                 "zh": "订单{order}与您提供的邮箱或手机号不匹配，请核对后重试。"},
    "injection": {"en": "I can only help with your own orders and the shop's policies, and I cannot share my "
                        "instructions or other customers' details.",
                  "zh": "我只能协助处理您本人的订单和本店政策相关问题，无法透露我的指令或其他客户的信息。"},
    "handoff": {"en": "I am passing you to a member of our team ({why}). They will reply here; we answer within "
                      "{sla} working hours.",
                "zh": "我将为您转接人工客服（{why}），客服会在这里回复您，我们会在{sla}个工作小时内答复。"},
    "status": {"en": "Order {order} ({items}) was placed on {ordered}. {state}",
               "zh": "订单{order}（{items}）下单于{ordered}。{state}"},
    "refunds": {"en": " Refunds and cancellations: {lines}.", "zh": " 退款与取消：{lines}。"},
    "no_refunds": {"en": " There is no refund or cancellation on this order yet.",
                   "zh": " 该订单暂无退款或取消记录。"},
}

_WHY: dict[str, dict[str, str]] = {
    "asked_for_person": {"en": "you asked for a person", "zh": "您要求人工服务"},
    "negative_sentiment": {"en": "I can see you are upset", "zh": "很抱歉让您不满意"},
    "abuse": {"en": "this needs a person", "zh": "此问题需要人工处理"},
    "low_confidence": {"en": "I am not sure I understood", "zh": "我不确定是否理解了您的问题"},
    "ambiguous": {"en": "your question could mean several things", "zh": "您的问题可能有多种含义"},
    "out_of_scope": {"en": "this is not something I can answer", "zh": "这个问题我无法回答"},
    "failed_proofs": {"en": "the order could not be verified", "zh": "订单信息无法核实"},
    "action_needed": {"en": "this needs a change to your order", "zh": "需要修改您的订单"},
    "unsupported_language": {"en": "I answer in English and Chinese only", "zh": "我只能用中文和英文回答"},
}

_STATE: dict[str, dict[str, str]] = {
    "placed": {"en": "It is placed and waiting for payment.", "zh": "订单已提交，等待付款。"},
    "paid": {"en": "It is paid and being prepared.", "zh": "订单已付款，正在备货。"},
    "shipped": {"en": "It was dispatched on {shipped}.", "zh": "订单已于{shipped}发货。"},
    "delivered": {"en": "It was delivered on {delivered}.", "zh": "订单已于{delivered}送达。"},
    "returned": {"en": "It was delivered on {delivered} and returned.", "zh": "订单已于{delivered}送达，之后已退货。"},
    "cancelled": {"en": "It was cancelled.", "zh": "该订单已取消。"},
    "unknown": {"en": "Its delivery status is not recorded yet.", "zh": "暂时还没有该订单的物流状态。"},
}

# An open order's arrival: the estimate from its route's history when there is one, else only the promise,
# said as a promise.
_ARRIVAL: dict[str, dict[str, str]] = {
    "expected": {"en": " We expect it on {expected} ({latest} at the latest).",
                 "zh": "预计{expected}送达（最晚{latest}）。"},
    "later_than_promised": {"en": " That is later than the {promised} we promised, sorry.",
                            "zh": "比承诺的{promised}晚，非常抱歉。"},
    "promised": {"en": " We promised delivery by {promised}.", "zh": "承诺送达日期为{promised}。"},
}

def _day(value: datetime | None, lang: str) -> str:
    if value is None:
        return "?" if lang == "en" else "未知日期"
    return f"{value.day} {value:%B %Y}" if lang == "en" else f"{value.year}年{value.month}月{value.day}日"


def reply(key: str, lang: str, **values: Any) -> str:
    """The template ``key`` in ``lang`` (``en`` or ``zh``) filled with ``values``."""
    template = REPLIES[key][lang]
    if "why" in values:
        values["why"] = _WHY.get(str(values["why"]), {}).get(lang, str(values["why"]))
    return template.format(**values)


def _arrival(facts: OrderFacts, lang: str) -> str:
    """When an open order should arrive: expected and latest date, and whether that breaks the promise."""
    promised = _day(facts.promised_at, lang)
    if facts.expected is None:
        return _ARRIVAL["promised"][lang].format(promised=promised) if facts.promised_at else ""
    text = _ARRIVAL["expected"][lang].format(expected=_day(facts.expected.expected_at, lang),
                                             latest=_day(facts.expected.latest_at, lang))
    if facts.promised_at is not None and facts.expected.expected_at.date() > facts.promised_at.date():
        text += _ARRIVAL["later_than_promised"][lang].format(promised=promised)
    return text


def _money(amount: float, lang: str) -> str:
    return f"£{abs(amount):,.2f}"


def order_reply(facts: OrderFacts, lang: str, *, with_refunds: bool) -> str:
    """An order's status (and its refund and cancellation lines) in ``lang``."""
    units = sum(int(i["quantity"]) for i in facts.items)
    kinds = len(facts.items)
    items = (f"{units} item{'s' if units != 1 else ''}, {kinds} product{'s' if kinds != 1 else ''}" if lang == "en"
             else f"{kinds}种商品共{units}件")
    state_key = facts.status if facts.status in _STATE else "unknown"
    state = _STATE[state_key][lang].format(shipped=_day(facts.shipped_at, lang),
                                           delivered=_day(facts.delivered_at, lang))
    if state_key in ("placed", "paid", "shipped"):
        state += _arrival(facts, lang)
    text = REPLIES["status"][lang].format(order=facts.order_id, items=items, ordered=_day(facts.ordered_at, lang),
                                          state=state)
    if with_refunds:
        if facts.refunds:
            word = {"cancellation": ("cancelled", "取消"), "return": ("returned", "退货")}
            parts = []
            for r in facts.refunds:
                label = word.get(str(r["line_type"]), (str(r["line_type"]), str(r["line_type"])))
                qty = abs(int(r["quantity"]))
                parts.append(f"{r['product_id']} × {qty} {label[0]}, {_money(float(r['amount']), lang)}" if lang == "en"
                             else f"{r['product_id']} × {qty} {label[1]}，{_money(float(r['amount']), lang)}")
            text += REPLIES["refunds"][lang].format(lines="; ".join(parts))
        else:
            text += REPLIES["no_refunds"][lang]
    return text
