"""What customers write to the shop, per intent, in English and Chinese.

Placeholders: ``{order}`` order number, ``{product}`` product name, ``{date}`` promised delivery
date, ``{days}`` a number of days ("3 days" in English, "3" in Chinese), ``{amount}`` money,
``{city}`` a city, ``{code}`` a discount code, ``{payment}`` a payment method.
"""

from __future__ import annotations

__all__ = ["CLOSINGS", "GREETINGS", "INTENTS", "TEMPLATES"]

#: Intents and their share of all messages.
INTENTS: dict[str, float] = {
    "order_status": 0.22,
    "return_request": 0.12,
    "refund_status": 0.08,
    "shipping_cost": 0.07,
    "product_question": 0.12,
    "change_address": 0.06,
    "cancel_order": 0.07,
    "payment_problem": 0.06,
    "complaint": 0.11,
    "discount_code": 0.09,
}

GREETINGS = {
    "en": ("", "", "Hi! ", "Hello. ", "Hi there. ", "Dear team,\n", "Good morning. ", "hi "),
    "zh": ("", "", "你好，", "您好，", "在吗？", "客服你好，"),
}
CLOSINGS = {
    "en": ("", "", " Thanks.", " Thank you!", " Cheers", " Many thanks.", " Please reply asap."),
    "zh": ("", "", "谢谢！", "谢谢。", "麻烦尽快回复。", "辛苦了。"),
}

TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "order_status": {
        "en": (
            "Where is my order {order}?",
            "My order {order} hasn't arrived yet. Can you check where it is?",
            "Order {order} was supposed to arrive by {date}. Any update on the delivery?",
            "Could you send me the tracking number for order {order} please?",
            "It's been {days} since I ordered ({order}) and nothing has arrived.",
            "when will order {order} be delivered??",
        ),
        "zh": (
            "我的订单{order}到哪里了？",
            "订单{order}还没有收到，能帮我查一下物流吗？",
            "订单{order}说{date}前送到，现在还没到，请问什么情况？",
            "请问订单{order}的快递单号是多少？",
            "我{days}天前下的单（{order}），到现在还没收到。",
        ),
    },
    "return_request": {
        "en": (
            "I'd like to return the {product} from order {order}.",
            "The {product} I received is not as described. How do I send it back? Order {order}.",
            "Can I return order {order}? The {product} is not what I expected.",
            "Please send me a return label for order {order}.",
            "The {product} doesn't fit, I want to send it back (order {order}).",
        ),
        "zh": (
            "我想退货，订单{order}里的{product}。",
            "收到的{product}和描述不一样，怎么退回？订单号{order}。",
            "订单{order}可以退货吗？{product}不太合适。",
            "请给我订单{order}的退货标签。",
        ),
    },
    "refund_status": {
        "en": (
            "I sent back order {order} two weeks ago. When will I get my refund?",
            "Has my refund for order {order} been processed?",
            "Still waiting for the refund of {amount} for order {order}.",
            "You received my return for {order} {days} ago but no refund yet.",
        ),
        "zh": (
            "订单{order}已经退回两周了，什么时候退款？",
            "请问订单{order}的退款处理了吗？",
            "订单{order}的{amount}退款还没有到账。",
            "退货已经寄回{days}天了（{order}），钱还没退。",
        ),
    },
    "shipping_cost": {
        "en": (
            "How much is delivery to {city}?",
            "Do you offer free shipping? What is the minimum order?",
            "Why was I charged {amount} postage on order {order}?",
            "Do you ship to {city} and how long does it take?",
        ),
        "zh": (
            "寄到{city}运费多少？",
            "满多少包邮？",
            "订单{order}的运费为什么收了{amount}？",
            "可以寄到{city}吗？大概要几天？",
        ),
    },
    "product_question": {
        "en": (
            "Will the {product} be back in stock soon?",
            "What are the dimensions of the {product}?",
            "Is the {product} suitable as a gift? Do you offer gift wrapping?",
            "Does the {product} come in other colours?",
            "Is the {product} good quality? Thinking of buying two.",
        ),
        "zh": (
            "{product}什么时候有货？",
            "{product}的尺寸是多少？",
            "{product}可以送礼吗？有礼品包装吗？",
            "{product}有其他颜色吗？",
        ),
    },
    "change_address": {
        "en": (
            "I entered the wrong address for order {order}. Can you change it?",
            "Please deliver order {order} to my work address instead.",
            "Can I change the delivery address of {order}? I've moved.",
        ),
        "zh": (
            "订单{order}地址填错了，能帮我改一下吗？",
            "订单{order}请改寄到我公司地址。",
            "我搬家了，可以修改订单{order}的收货地址吗？",
        ),
    },
    "cancel_order": {
        "en": (
            "Please cancel my order {order}.",
            "I ordered by mistake, can you cancel {order}?",
            "Cancel order {order} please, I found it cheaper elsewhere.",
            "I no longer need order {order}, please cancel it before it ships.",
        ),
        "zh": (
            "请取消我的订单{order}。",
            "我下错单了，能取消订单{order}吗？",
            "订单{order}不要了，麻烦取消。",
        ),
    },
    "payment_problem": {
        "en": (
            "My card was charged twice for order {order}.",
            "The payment for order {order} failed but the money left my account.",
            "I can't pay with {payment}, it keeps giving an error.",
        ),
        "zh": (
            "订单{order}被扣了两次款。",
            "订单{order}付款失败，但是钱已经扣了。",
            "用{payment}付款一直报错。",
        ),
    },
    "complaint": {
        "en": (
            "Order {order} arrived {days} late. Very disappointed.",
            "The {product} arrived damaged. Not happy at all.",
            "This is the second time my delivery is late. Order {order}.",
            "Terrible service, I have been waiting for an answer about {order} for days.",
        ),
        "zh": (
            "订单{order}晚到了{days}天，非常失望。",
            "收到的{product}是坏的，太让人失望了。",
            "已经是第二次延迟送达了，订单{order}。",
            "关于订单{order}等了好几天都没人回复，服务太差了。",
        ),
    },
    "discount_code": {
        "en": (
            "My discount code doesn't work at checkout.",
            "Can I still use the code {code} on order {order}?",
            "I forgot to add my voucher to order {order}, can you apply it?",
            "Do you have any discount codes for the {product}?",
        ),
        "zh": (
            "优惠码在结账时用不了。",
            "优惠码{code}还能用在订单{order}上吗？",
            "下单{order}时忘了用优惠券，能补上吗？",
            "{product}有优惠码吗？",
        ),
    },
}
