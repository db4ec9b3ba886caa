"""Signals that decide a hand-off before any model does: a request for a person, anger or abuse, prompt attacks.

Lexicons in both languages, matched on the normalised text (simplified characters, lower case), so
繁體 and full-width input are caught too. Anger is scored: each strong word, asking again ("third
time"), a run of exclamation marks and shouting in capitals add to it; abuse (insults, threats)
alone is enough to hand off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Signals", "read_signals"]

_HUMAN = re.compile(
    r"\b(?:(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|some|real\s+)*(?:human|person|agent|someone|manager|"
    r"representative|people)|real\s+(?:human|person)|human\s+(?:agent|being|please)|live\s+agent|"
    r"customer\s+service\s+(?:agent|rep)|(?:get|want|need)\s+(?:me\s+)?(?:a\s+)?(?:human|manager|person|agent)\b|"
    r"operator|escalate|(?:put|transfer|connect|pass)\s+me\s+(?:through\s+)?(?:to|with)\s+(?:a\s+|an\s+|the\s+|"
    r"your\s+|someone|somebody)?(?:human|person|agent|someone|somebody|manager|team|staff|colleague))"
    r"|(?:not|no|stop|enough of|instead of)\s+(?:a|the|this|your)?\s*(?:bot|robot|machine|chatbot)s?\b"
    r"|人工|真人|转人工|找(?:个|一个|位|一位)?(?:客服|经理|真人|人工)|人工客服|投诉你们|活人"
    r"|(?:别|不要|不想|不用)(?:让|跟|和|用)?(?:机器人|机器|自动回复)")
_ABUSE = re.compile(
    r"\b(?:idiot|idiots|stupid|moron|useless|scam|scammers?|thieves|fraud|fuck\w*|shit\w*|crap|bastard|bullshit|"
    r"damn|hell|sue you|lawyer|trading standards|disgusting|pathetic|rubbish|worst)\b"
    r"|骗子|垃圾|混蛋|傻|白痴|滚|去死|妈的|他妈|操你|坑人|骗钱|律师|起诉|投诉到|恶心")
_ANGER = re.compile(r"\b(?:angry|furious|unacceptable|ridiculous|terrible|awful|horrible|outraged|never again|"
                    r"fed up|sick of|joke)\b|愤怒|生气|不能接受|太离谱|离谱|受够|再也不|糟糕|差评|太差|气死|无语")
# Asking again is escalation: "third time I'm asking", "I asked twice already", "问了三次".
_REPEAT = re.compile(r"\b(?:second|third|fourth|fifth|\d+(?:nd|rd|th)|several|many|multiple)\s+times?\b|"
                     r"\b(?:asked|written|called|emailed|e-mailed|contacted you)\s+(?:\w+\s+)?(?:twice|three times|"
                     r"again|already)\b|again and again|(?:问|说|催|打电话|联系)了?(?:两|三|四|五|几|好几|很多|多)次")
_INJECTION = re.compile(
    r"ignore (?:all |the |your )?(?:previous|above|prior) (?:instructions|rules)|system prompt|your instructions|"
    r"reveal (?:your|the) (?:prompt|instructions|rules)|you are now|act as|pretend to be|developer mode|jailbreak|"
    r"(?:another|other|someone else'?s?|any) customer'?s? (?:order|address|e-?mail|phone|data)|all orders|"
    r"忽略(?:之前|以上|所有)|系统提示|你的指令|提示词|别人的订单|其他客户|所有订单|所有客户")


@dataclass(frozen=True)
class Signals:
    """What the words of a message say besides their intent.

    Attributes
    ----------
    wants_human : bool
        The customer asks for a person.
    abuse : bool
        Insults, threats or legal threats.
    anger : float
        0 (calm) to 1 (furious).
    injection : bool
        The message tries to make the bot reveal its instructions or another customer's data.
    """

    wants_human: bool
    abuse: bool
    anger: float
    injection: bool


def read_signals(original: str, normalised: str) -> Signals:
    """The signals of a message (``original`` for capitals and punctuation, ``normalised`` for words)."""
    abuse = bool(_ABUSE.search(normalised))
    strong = len(_ANGER.findall(normalised)) + 2 * len(_ABUSE.findall(normalised)) + len(_REPEAT.findall(normalised))
    bangs = len(re.findall(r"[!！]{2,}", original))
    letters = re.findall(r"[A-Za-z]", original)
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7
    anger = min(1.0, 0.3 * strong + 0.2 * bangs + (0.3 if shouting else 0.0))
    return Signals(bool(_HUMAN.search(normalised)), abuse, anger, bool(_INJECTION.search(normalised)))
