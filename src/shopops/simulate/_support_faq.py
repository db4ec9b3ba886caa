"""The simulated shop's customer-service knowledge base: the same FAQ in English and Chinese.

Each topic has an English and a Chinese entry (linked by ``topic``), several ways of asking, and an
answer written for this shop's policies (the shipping fee and free-shipping threshold of the
simulation's config). Topics that serve one of the message intents name it, so the bot can
answer a recognised intent from its own entry.
"""

from __future__ import annotations

import pyarrow as pa

from shopops.schema import TABLES
from shopops.simulate._config import SimulationConfig

__all__ = ["FAQ_TOPICS", "kb_table"]

# topic, intent, tags, English questions, English answer, Chinese questions, Chinese answer.
# Answers may use {fee} (shipping fee) and {free} (free-shipping threshold).
FAQ_TOPICS: tuple[tuple[str, str, str, tuple[str, ...], str, tuple[str, ...], str], ...] = (
    ("track-order", "order_status", "delivery,tracking",
     ("Where is my order?", "How can I track my parcel?", "My order has not arrived yet"),
     "Give us your order number and the e-mail or phone number on the order, and we will look up its status "
     "and delivery date for you.",
     ("我的订单到哪里了？", "怎么查物流？", "我的包裹还没到"),
     "请提供订单号以及下单时使用的邮箱或手机号，我们会为您查询订单状态和预计送达日期。"),
    ("delivery-times", "order_status", "delivery",
     ("How long does delivery take?", "When will my order arrive?", "What are your delivery times?"),
     "UK orders are dispatched within one working day and usually arrive 2 to 4 working days later. "
     "International orders take 5 to 10 working days.",
     ("配送需要多长时间？", "多久能收到货？", "你们的送货时间是多久？"),
     "英国境内订单在一个工作日内发货，通常2到4个工作日送达；国际订单需要5到10个工作日。"),
    ("late-delivery", "complaint", "delivery,complaint",
     ("My parcel is late", "The delivery is overdue", "It was supposed to arrive days ago"),
     "We are sorry your parcel is late. Send us the order number and the e-mail on the order: we check with "
     "the carrier, and if it is lost we send a replacement or refund it in full.",
     ("我的包裹晚到了", "快递超时了还没到", "说好的日期已经过了还没收到"),
     "很抱歉包裹延误。请发送订单号和下单邮箱，我们会联系快递公司核实；如确认丢失，我们会补发或全额退款。"),
    ("tracking-number", "order_status", "delivery,tracking",
     ("Can I have the tracking number?", "Where do I find my tracking link?", "Send me the tracking code"),
     "The tracking link is in the dispatch e-mail we send when your parcel leaves our warehouse. If you cannot "
     "find it, give us the order number and the e-mail on the order.",
     ("能给我快递单号吗？", "在哪里看物流单号？", "请发一下快递追踪号"),
     "包裹出库时我们会发送发货邮件，其中包含物流追踪链接。如果找不到，请提供订单号和下单邮箱。"),
    ("shipping-cost", "shipping_cost", "shipping,price",
     ("How much is shipping?", "Why was I charged for delivery?", "What does postage cost?"),
     "UK delivery costs £{fee} and is free on orders of £{free} or more. The charge is shown at checkout "
     "before you pay.",
     ("运费多少钱？", "为什么收了我运费？", "邮费怎么算？"),
     "英国境内运费为£{fee}，订单满£{free}免运费。运费会在付款前的结算页面显示。"),
    ("free-shipping", "shipping_cost", "shipping,price",
     ("Do you offer free shipping?", "Is delivery free?", "How do I get free delivery?"),
     "Delivery in the UK is free on orders of £{free} or more (goods value after discounts).",
     ("有包邮吗？", "免运费吗？", "怎样才能免运费？"),
     "英国境内订单商品金额（折扣后）满£{free}即可免运费。"),
    ("international-shipping", "", "shipping,international",
     ("Do you ship abroad?", "Can you deliver to China?", "Which countries do you ship to?"),
     "We ship to the UK, the EU, the USA, Canada, Australia, China, Hong Kong, Japan and Singapore. "
     "Customs duties of the destination country are paid by the recipient.",
     ("你们发国际快递吗？", "能寄到中国吗？", "可以送到哪些国家？"),
     "我们可配送至英国、欧盟、美国、加拿大、澳大利亚、中国大陆、香港、日本和新加坡。目的地国家的关税由收件人承担。"),
    ("customs-duties", "", "shipping,international,price",
     ("Will I pay customs fees?", "Who pays import duty?", "Are taxes included for overseas orders?"),
     "Prices include UK VAT. For orders outside the UK, import duties and local taxes may be charged by the "
     "carrier on delivery and are paid by the recipient.",
     ("需要交关税吗？", "进口税谁来付？", "海外订单含税吗？"),
     "商品价格已含英国增值税。英国以外的订单，快递公司可能在派送时收取进口关税和当地税费，由收件人支付。"),
    ("return-policy", "return_request", "returns,policy",
     ("What is your return policy?", "Can I return an item?", "How many days do I have to return something?"),
     "You can return unused items within 30 days of delivery for a full refund. Personalised items and opened "
     "food cannot be returned unless they are faulty.",
     ("你们的退货政策是什么？", "可以退货吗？", "多少天内可以退货？"),
     "收货后30天内，未使用的商品可全额退款退货。定制商品和已开封食品除非有质量问题，否则不支持退货。"),
    ("how-to-return", "return_request", "returns",
     ("How do I send an item back?", "How do I return my order?", "I want to send it back"),
     "Start a return from your account or reply with your order number: we e-mail you a prepaid return label. "
     "Pack the item with its tags and drop it at any post office.",
     ("怎么把商品寄回去？", "怎么办理退货？", "我想退回这个商品"),
     "请在账户中发起退货，或回复订单号，我们会通过邮件发送预付退货标签。请连同吊牌一起包装，交到任意邮局即可。"),
    ("return-label", "return_request", "returns",
     ("Can you send me a return label?", "I need a returns label", "Where is my return label?"),
     "Return labels are free for UK orders. Reply with your order number and the e-mail on the order and we "
     "send the label within one working day.",
     ("能给我退货标签吗？", "我需要退货面单", "退货标签在哪里？"),
     "英国订单的退货标签免费。请回复订单号和下单邮箱，我们会在一个工作日内发送标签。"),
    ("return-cost", "return_request", "returns,price",
     ("Do I pay for returns?", "Are returns free?", "How much does it cost to return?"),
     "Returns within the UK are free with our prepaid label. From abroad, the return postage is paid by you "
     "unless the item is faulty.",
     ("退货要付运费吗？", "退货免费吗？", "退货需要多少钱？"),
     "使用我们的预付标签，英国境内退货免费。海外退货的运费由您承担，商品有质量问题的除外。"),
    ("exchange", "return_request", "returns,exchange",
     ("Can I exchange for another size?", "I want a different colour", "Can I swap my item?"),
     "We do not swap items directly: return the item for a refund and place a new order, so you get the new "
     "one as fast as possible.",
     ("可以换尺码吗？", "我想换个颜色", "能换货吗？"),
     "我们不直接换货：请退回商品办理退款，再重新下单，这样新商品能最快送到您手中。"),
    ("faulty-item", "complaint", "returns,quality,complaint",
     ("My item arrived broken", "The product is faulty", "It was damaged in delivery"),
     "We are sorry. Send us a photo of the damage with your order number: we send a replacement or refund "
     "you in full, and you do not need to return a broken item.",
     ("收到的商品坏了", "产品有质量问题", "运输过程中损坏了"),
     "非常抱歉。请发送损坏照片和订单号，我们会补发或全额退款，损坏的商品无需寄回。"),
    ("wrong-item", "complaint", "returns,complaint",
     ("I received the wrong item", "This is not what I ordered", "You sent me the wrong product"),
     "Sorry for the mix-up. Tell us the order number and what arrived; we send the right item at once with a "
     "free return label for the wrong one.",
     ("收到的商品发错了", "这不是我买的东西", "你们寄错货了"),
     "抱歉给您带来不便。请告诉我们订单号和收到的商品，我们会立即补发正确商品，并提供免费退货标签。"),
    ("missing-item", "complaint", "delivery,complaint",
     ("An item is missing from my parcel", "My order is incomplete", "Only part of my order came"),
     "Large orders can come in several parcels. If the dispatch e-mail says everything was sent, tell us the "
     "order number and the missing item and we will send it again.",
     ("包裹里少了一件商品", "我的订单不完整", "只收到了一部分商品"),
     "大订单可能分多个包裹发出。如果发货邮件显示已全部发出，请告诉我们订单号和缺少的商品，我们会重新寄出。"),
    ("refund-status", "refund_status", "refund",
     ("Where is my refund?", "When will I get my money back?", "Has my refund been processed?"),
     "Refunds are issued within 5 working days of your return reaching us, to the original payment method. "
     "Give us the order number and the e-mail on the order to check yours.",
     ("我的退款到哪了？", "什么时候能收到退款？", "退款处理了吗？"),
     "退货到达仓库后5个工作日内，退款会退回原支付方式。请提供订单号和下单邮箱，我们为您查询。"),
    ("refund-time", "refund_status", "refund",
     ("How long do refunds take?", "How many days until the refund shows?", "Refund processing time"),
     "We refund within 5 working days of receiving the return. Your bank may take another 3 to 5 working days "
     "to show it.",
     ("退款需要多久？", "退款几天能到账？", "退款处理时间"),
     "收到退货后5个工作日内退款，银行到账可能还需3到5个工作日。"),
    ("refund-method", "refund_status", "refund,payment",
     ("Will the refund go to my card?", "Can I get the refund as store credit?", "How is the refund paid?"),
     "Refunds go back to the payment method you used. If you prefer store credit, ask us before the refund is "
     "issued and we add 5% on top.",
     ("退款会退到我的卡上吗？", "可以退成店铺余额吗？", "退款怎么退？"),
     "退款将退回您原来的支付方式。如希望退为店铺余额，请在退款前告知，我们额外赠送5%。"),
    ("partial-refund", "refund_status", "refund",
     ("Why did I get only part of my money back?", "My refund is less than I paid", "Partial refund"),
     "A refund covers the items returned. Shipping is refunded only when the whole order is returned or the "
     "item was faulty, and a discount is shared over the items of the order.",
     ("为什么只退了一部分钱？", "退款比我付的少", "部分退款"),
     "退款金额对应退回的商品。只有整单退货或商品有质量问题时才退运费，订单折扣会按商品分摊。"),
    ("cancel-order", "cancel_order", "orders,cancellation",
     ("Can I cancel my order?", "How do I cancel?", "I want to cancel my purchase"),
     "You can cancel an order until it is dispatched, usually within a few hours of ordering. Reply with the "
     "order number; once it is dispatched, return it instead for a refund.",
     ("可以取消订单吗？", "怎么取消订单？", "我想取消购买"),
     "订单发货前都可以取消，通常在下单后几小时内。请回复订单号；如已发货，可在收货后退货退款。"),
    ("cancel-refund", "cancel_order", "orders,cancellation,refund",
     ("When do I get the money back for a cancelled order?", "Refund after cancellation",
      "I cancelled but was still charged"),
     "A cancelled order is refunded in full straight away; the money shows on your account within 3 to 5 "
     "working days, depending on your bank.",
     ("取消的订单什么时候退款？", "取消后的退款", "我取消了订单但还是被扣款了"),
     "取消的订单会立即全额退款，根据银行不同，3到5个工作日内到账。"),
    ("change-address", "change_address", "orders,address",
     ("Can I change my delivery address?", "I entered the wrong address", "Update the shipping address"),
     "We can change the address until the order is dispatched. Reply with the order number and the new "
     "address; after dispatch, ask the carrier to redirect it from the tracking page.",
     ("可以修改收货地址吗？", "我填错地址了", "更新配送地址"),
     "订单发货前可以修改地址。请回复订单号和新地址；已发货的订单，请在物流追踪页面联系快递改派。"),
    ("change-order", "change_address", "orders",
     ("Can I change my order?", "I want to add an item to my order", "Modify my order"),
     "Orders cannot be edited after payment, but you can cancel before dispatch and order again, or place a "
     "second order: orders of the same day ship together when possible.",
     ("可以修改订单吗？", "我想在订单里加一件商品", "更改我的订单"),
     "付款后订单不能修改，但可以在发货前取消后重新下单，或再下一单：同一天的订单会尽量合并发货。"),
    ("payment-methods", "payment_problem", "payment",
     ("Which payment methods do you accept?", "Can I pay with PayPal?", "Do you take Alipay?"),
     "We accept Visa, Mastercard and Amex cards, PayPal, Apple Pay, Klarna, bank transfer, Alipay and WeChat "
     "Pay.",
     ("你们支持哪些支付方式？", "可以用PayPal付款吗？", "支持支付宝吗？"),
     "我们支持Visa、万事达、美国运通银行卡，以及PayPal、Apple Pay、Klarna、银行转账、支付宝和微信支付。"),
    ("payment-failed", "payment_problem", "payment",
     ("My payment failed", "The card was declined", "I can't pay at checkout"),
     "A declined payment is usually a security check of your bank. Try again, use another card or PayPal, or "
     "contact your bank. A failed payment is never charged.",
     ("付款失败了", "银行卡被拒绝", "结账时无法付款"),
     "付款被拒通常是银行的安全验证。请重试、换一张卡或使用PayPal，或联系您的银行。付款失败不会扣款。"),
    ("double-charge", "payment_problem", "payment",
     ("I was charged twice", "Double payment on my card", "Why are there two charges?"),
     "A second amount is often a pending authorisation that your bank releases within a few days. If both "
     "are taken, send us the order number and we refund the extra one.",
     ("我被扣了两次款", "银行卡重复扣款", "为什么有两笔扣款？"),
     "第二笔金额通常是银行的预授权，几天内会自动释放。如两笔都被扣除，请发送订单号，我们会退还多扣的款项。"),
    ("klarna", "payment_problem", "payment",
     ("Can I pay later with Klarna?", "How does Klarna work?", "Pay in instalments"),
     "Choose Klarna at checkout to pay in 30 days or in three instalments with no interest. Klarna decides "
     "on the credit.",
     ("可以用Klarna先买后付吗？", "Klarna怎么用？", "可以分期付款吗？"),
     "在结算时选择Klarna，可30天后付款或免息分三期。信用额度由Klarna审核。"),
    ("invoice", "", "payment,invoice",
     ("Can I get an invoice?", "I need a VAT receipt", "Where is my invoice?"),
     "A VAT invoice is attached to the order confirmation e-mail and can be downloaded from your account "
     "under Orders.",
     ("可以开发票吗？", "我需要增值税发票", "发票在哪里？"),
     "增值税发票附在订单确认邮件中，也可以在账户的“订单”页面下载。"),
    ("discount-code", "discount_code", "discount",
     ("My discount code doesn't work", "The promo code is not accepted", "Coupon code invalid"),
     "Check that the code is typed exactly, has not expired and that your basket meets its minimum. Only one "
     "code can be used per order, and codes do not apply to gift vouchers.",
     ("我的优惠码不能用", "促销码无效", "优惠券用不了"),
     "请确认优惠码输入无误、未过期且购物车满足最低金额。每个订单只能使用一个优惠码，礼品卡不能使用优惠码。"),
    ("forgot-code", "discount_code", "discount",
     ("I forgot to use my discount code", "Can you apply the code after ordering?",
      "I placed the order without the coupon"),
     "Tell us the order number and the code within 7 days of ordering: if the code was valid then, we refund "
     "the difference.",
     ("我下单时忘了用优惠码", "下单后还能用优惠码吗？", "我下单没用优惠券"),
     "请在下单后7天内告诉我们订单号和优惠码：如当时优惠码有效，我们会退还差价。"),
    ("newsletter-discount", "discount_code", "discount,newsletter",
     ("Do you have a welcome discount?", "Is there a code for new customers?", "Newsletter discount"),
     "Sign up to our newsletter and get 15% off your first order with the code sent by e-mail.",
     ("有新人优惠吗？", "新客户有优惠码吗？", "订阅邮件有折扣吗？"),
     "订阅我们的邮件通讯，即可获得首单85折优惠码。"),
    ("gift-voucher", "", "gift,voucher",
     ("Do you sell gift cards?", "How do gift vouchers work?", "Can I buy a voucher?"),
     "Gift vouchers from £10 to £200 are sent by e-mail and are valid for 24 months on everything in the shop.",
     ("你们卖礼品卡吗？", "礼品券怎么用？", "可以买代金券吗？"),
     "礼品券面额£10至£200，通过邮件发送，有效期24个月，全店通用。"),
    ("gift-wrap", "", "gift",
     ("Do you offer gift wrapping?", "Can you wrap it as a present?", "Gift message"),
     "Add gift wrapping for £2.50 at checkout and write a message; the price is not shown on the packing slip.",
     ("有礼品包装吗？", "可以包装成礼物吗？", "能写贺卡留言吗？"),
     "结算时可加购礼品包装（£2.50）并填写留言；装箱单上不会显示价格。"),
    ("product-size", "product_question", "product",
     ("What size is this product?", "What are the dimensions?", "How big is it?"),
     "Each product page lists the size and weight under Details. Tell us the product code if you need a "
     "measurement that is not there.",
     ("这个商品多大？", "尺寸是多少？", "有多大？"),
     "每个商品页面的“详情”中都有尺寸和重量。如需其他尺寸信息，请告诉我们商品编号。"),
    ("product-material", "product_question", "product",
     ("What is it made of?", "Which material is used?", "Is it cotton?"),
     "Materials and care instructions are on the product page under Details; our ceramics are dishwasher safe "
     "unless the page says otherwise.",
     ("这是什么材质的？", "用的是什么材料？", "是纯棉的吗？"),
     "材质和保养说明在商品页面的“详情”中；除特别说明外，我们的陶瓷制品都可以用洗碗机清洗。"),
    ("back-in-stock", "product_question", "product,stock",
     ("When will this be back in stock?", "The item is sold out", "Will you restock it?"),
     "Most items are restocked within 2 to 4 weeks. Press \"Notify me\" on the product page and we e-mail you "
     "as soon as it is back.",
     ("这个什么时候补货？", "商品卖完了", "还会再进货吗？"),
     "大多数商品会在2到4周内补货。在商品页面点击“到货通知”，补货后我们会第一时间邮件通知您。"),
    ("product-availability", "product_question", "product,stock",
     ("Is this in stock?", "Do you have it available?", "Can I still order this?"),
     "The product page shows the stock: \"In stock\" items ship within one working day, \"Low stock\" means "
     "fewer than 5 are left.",
     ("这个有货吗？", "现在还有库存吗？", "还能下单吗？"),
     "商品页面会显示库存：“有货”商品一个工作日内发货，“库存紧张”表示剩余不足5件。"),
    ("product-care", "product_question", "product",
     ("How do I clean it?", "Care instructions", "Can it go in the washing machine?"),
     "Care instructions are on the label and the product page. Textiles wash at 30°C, candles burn best for 2 "
     "to 3 hours at a time.",
     ("怎么清洗？", "保养说明", "可以机洗吗？"),
     "保养说明在标签和商品页面上。纺织品30°C水洗，蜡烛每次燃烧2到3小时效果最好。"),
    ("personalisation", "product_question", "product,personalised",
     ("Can I personalise this item?", "Do you do engraving?", "Custom name on the product"),
     "Items marked \"Personalise\" can carry a name or short message of up to 20 characters. Personalised items "
     "take 2 extra days and cannot be returned unless faulty.",
     ("可以定制这个商品吗？", "可以刻字吗？", "商品上能印名字吗？"),
     "标有“可定制”的商品可添加不超过20个字符的名字或留言。定制商品需额外2天，非质量问题不支持退货。"),
    ("price-match", "", "price",
     ("Do you price match?", "It's cheaper elsewhere", "Can you match a competitor's price?"),
     "We do not match other shops' prices, but we refund the difference if our own price drops within 7 days "
     "of your order.",
     ("你们有价格匹配吗？", "别家更便宜", "能按竞争对手的价格卖吗？"),
     "我们不做其他商店的价格匹配，但如果下单后7天内本店降价，我们会退还差价。"),
    ("price-drop", "", "price",
     ("The price dropped after I bought it", "Can I get the difference back?", "It went on sale after my order"),
     "If the price of an item you bought drops within 7 days of your order, send us the order number and we "
     "refund the difference.",
     ("我买完就降价了", "可以退差价吗？", "我下单后商品打折了"),
     "如果下单后7天内商品降价，请发送订单号，我们会退还差价。"),
    ("wholesale", "", "business",
     ("Do you sell wholesale?", "Trade prices for shops", "Bulk order discount"),
     "Businesses get trade prices from 24 units per product. Write to trade@shop.example with your company "
     "details to open a trade account.",
     ("你们做批发吗？", "商家批发价", "大批量订购有折扣吗？"),
     "企业客户每款商品满24件可享批发价。请将公司信息发送至trade@shop.example开通批发账户。"),
    ("account-create", "", "account",
     ("How do I create an account?", "Do I need an account to order?", "Register"),
     "You can order as a guest; an account keeps your orders, addresses and returns in one place. Sign up "
     "with your e-mail on the Account page.",
     ("怎么注册账户？", "必须注册才能下单吗？", "注册"),
     "您可以游客身份下单；注册账户后可统一管理订单、地址和退货。在“账户”页面用邮箱注册即可。"),
    ("password-reset", "", "account",
     ("I forgot my password", "How do I reset my password?", "I can't log in"),
     "Press \"Forgot password\" on the sign-in page; we e-mail a link that is valid for one hour. Check your "
     "spam folder if it does not arrive.",
     ("我忘记密码了", "怎么重置密码？", "我登录不了"),
     "在登录页点击“忘记密码”，我们会发送有效期一小时的重置链接。如未收到，请检查垃圾邮件箱。"),
    ("delete-account", "", "account,privacy",
     ("How do I delete my account?", "Close my account", "Remove my data"),
     "Ask us from the e-mail of the account and we delete it with your personal data within 30 days; invoices "
     "are kept for 6 years as the law requires.",
     ("怎么注销账户？", "关闭我的账户", "删除我的个人数据"),
     "请用账户邮箱联系我们，我们会在30天内删除账户及个人数据；发票依法保留6年。"),
    ("privacy", "", "privacy",
     ("What do you do with my data?", "Privacy policy", "Do you share my information?"),
     "We use your data only to deliver orders and, if you agree, for our newsletter. We never sell it. The "
     "full policy is on the Privacy page.",
     ("你们如何使用我的数据？", "隐私政策", "会泄露我的信息吗？"),
     "我们仅将您的数据用于配送订单，以及在您同意时发送邮件通讯，绝不出售。完整政策见“隐私”页面。"),
    ("unsubscribe", "", "newsletter",
     ("How do I unsubscribe?", "Stop sending me e-mails", "Unsubscribe from the newsletter"),
     "Every newsletter has an unsubscribe link at the bottom; you can also untick it in your account. Order "
     "e-mails still come.",
     ("怎么退订邮件？", "别再给我发邮件了", "取消订阅通讯"),
     "每封通讯底部都有退订链接，也可以在账户中取消勾选。订单相关邮件仍会照常发送。"),
    ("contact", "", "contact",
     ("How can I contact you?", "What is your phone number?", "Customer service hours"),
     "Write to us here in the chat or at help@shop.example. Our team answers Monday to Friday, 9:00 to 18:00 UK "
     "time, usually within 4 hours.",
     ("怎么联系你们？", "客服电话是多少？", "客服工作时间"),
     "您可以在这里留言或发送邮件至help@shop.example。客服周一至周五英国时间9:00至18:00在线，通常4小时内回复。"),
    ("opening-hours", "", "contact",
     ("When are you open?", "Are you open at weekends?", "Opening hours"),
     "The online shop is open all the time. Orders placed at weekends ship on Monday; customer service works "
     "Monday to Friday.",
     ("你们什么时候营业？", "周末营业吗？", "营业时间"),
     "网店全天开放。周末的订单周一发货；客服周一至周五工作。"),
    ("store-location", "", "contact",
     ("Do you have a shop I can visit?", "Where is your store?", "Can I collect in person?"),
     "We are an online shop only; there is no store to visit and no collection point.",
     ("有实体店吗？", "你们的店在哪里？", "可以自提吗？"),
     "我们只有网店，没有实体店，也不提供自提。"),
    ("express-delivery", "shipping_cost", "shipping,delivery",
     ("Do you have express delivery?", "Next day delivery", "Can I get it faster?"),
     "Next-day delivery in the UK costs £6.99 for orders placed before 14:00 on a working day.",
     ("有加急配送吗？", "次日达", "能快点送到吗？"),
     "英国境内工作日14:00前下单，可选次日达，费用£6.99。"),
    ("delivery-failed", "order_status", "delivery",
     ("I missed the delivery", "The courier left a card", "Nobody was home for the delivery"),
     "The carrier tries again the next working day or leaves the parcel at a nearby pick-up point; the card "
     "or tracking page says where.",
     ("我错过了派送", "快递员留了取件通知", "送货时家里没人"),
     "快递公司会在下一个工作日再次派送，或将包裹放到附近的自提点，具体请看取件通知或物流页面。"),
    ("delivered-not-received", "complaint", "delivery,complaint",
     ("It says delivered but I don't have it", "Marked as delivered, not received", "Parcel not received"),
     "Check with neighbours and any safe place; carriers sometimes mark a parcel early. If it has not turned "
     "up within 2 days, tell us the order number and we open a claim.",
     ("显示已签收但我没收到", "物流显示送达但没拿到", "没收到包裹"),
     "请先询问邻居或查看安全存放处，快递有时会提前标记签收。如2天内仍未收到，请告诉我们订单号，我们会发起理赔。"),
    ("order-confirmation", "order_status", "orders",
     ("I didn't get an order confirmation", "Did my order go through?", "No confirmation e-mail"),
     "The confirmation e-mail is sent within minutes; check your spam folder. If it is not there, give us the "
     "e-mail you ordered with and we check that the order was placed.",
     ("我没收到订单确认", "我的订单下单成功了吗？", "没有收到确认邮件"),
     "确认邮件会在几分钟内发出，请检查垃圾邮件箱。如仍未找到，请提供下单邮箱，我们为您核实订单。"),
    ("pre-order", "product_question", "product,orders",
     ("Can I pre-order?", "When do pre-orders ship?", "Reserve an item"),
     "Pre-order items show their expected date on the product page; we charge you when the item ships and "
     "send the rest of your order at once.",
     ("可以预订吗？", "预售商品什么时候发货？", "可以预留商品吗？"),
     "预售商品页面会显示预计日期；商品发货时才扣款，订单中的其他商品会先行发出。"),
    ("warranty", "product_question", "product,quality",
     ("Is there a warranty?", "Guarantee on electrical items", "It stopped working after a month"),
     "Every item has a 12-month guarantee against faults. Send us the order number and a short description or "
     "photo and we repair, replace or refund it.",
     ("有保修吗？", "电器有质保吗？", "用了一个月就坏了"),
     "所有商品享有12个月质量保证。请发送订单号和问题描述或照片，我们会维修、更换或退款。"),
    ("sustainability", "", "company",
     ("Is your packaging recyclable?", "Are you eco-friendly?", "Plastic-free packaging"),
     "Our boxes and paper fill are recycled and recyclable, and we have used no plastic packaging since 2023.",
     ("你们的包装可以回收吗？", "你们环保吗？", "无塑料包装"),
     "我们的纸箱和填充纸均为再生材料且可回收，自2023年起已不再使用塑料包装。"),
    ("loyalty", "discount_code", "discount,loyalty",
     ("Do you have a loyalty programme?", "Reward points", "Discount for regular customers"),
     "Members earn one point per pound spent; 100 points give £5 off your next order. Points last 12 months.",
     ("有会员积分吗？", "积分奖励", "老客户有折扣吗？"),
     "会员每消费1英镑积1分，100分可抵扣£5，积分有效期12个月。"),
    ("student-discount", "discount_code", "discount",
     ("Do you have a student discount?", "Discount for students", "NHS discount"),
     "Students and NHS staff get 10% off with a code from our verification partner, linked on the Discounts "
     "page.",
     ("有学生优惠吗？", "学生折扣", "医护人员有折扣吗？"),
     "学生和NHS医护人员可通过“优惠”页面的验证合作方获取9折优惠码。"),
    ("sale-dates", "discount_code", "discount,sale",
     ("When is your next sale?", "Black Friday deals", "Do you have a Christmas sale?"),
     "Our big sales are Black Friday week, Boxing Day to mid-January and a summer sale in July. Newsletter "
     "subscribers hear first.",
     ("下次打折是什么时候？", "黑五优惠", "圣诞节有促销吗？"),
     "我们的大促包括黑色星期五周、节礼日至一月中旬，以及七月的夏季促销。订阅用户会最先收到通知。"),
    ("order-history", "", "account,orders",
     ("Where can I see my past orders?", "Order history", "Find an old order"),
     "Your account's Orders page lists every order with its status, invoice and tracking link. Guest orders "
     "are found with the order number and e-mail.",
     ("在哪里查看历史订单？", "订单记录", "查找以前的订单"),
     "账户的“订单”页面列出所有订单及其状态、发票和物流链接。游客订单可用订单号和邮箱查询。"),
    ("combine-orders", "", "orders,shipping",
     ("Can you combine my orders?", "Ship two orders together", "Merge orders to save postage"),
     "Orders of the same day to the same address are packed together when possible, and we refund the second "
     "shipping fee.",
     ("可以合并订单吗？", "两个订单一起发货", "合并订单省运费"),
     "同一天发往同一地址的订单会尽量合并包装，并退还第二笔运费。"),
    ("speak-to-human", "", "contact,handoff",
     ("I want to talk to a person", "Can I speak to an agent?", "Real human please"),
     "I will pass you to a member of our team; they answer Monday to Friday, 9:00 to 18:00 UK time.",
     ("我要找人工客服", "转人工", "能跟真人说话吗？"),
     "我将为您转接人工客服，服务时间为周一至周五英国时间9:00至18:00。"),
)


def kb_table(config: SimulationConfig) -> pa.Table:
    """The knowledge base in the ``kb_entries`` layout: one row per question variant and language."""
    fee, free = f"{config.shipping_fee:.2f}", f"{config.free_shipping_threshold:.0f}"
    rows = []
    for topic, intent, tags, en_q, en_a, zh_q, zh_a in FAQ_TOPICS:
        for language, questions, answer in (("en", en_q, en_a), ("zh", zh_q, zh_a)):
            for question in questions:
                rows.append({"entry_id": f"{topic}-{language}", "topic": topic, "language": language,
                             "question": question, "answer": answer.format(fee=fee, free=free), "tags": tags,
                             "intent": intent or None, "parse_status": "ok", "source_file": "simulated-faq"})
    return pa.Table.from_pylist(rows, schema=TABLES["kb_entries"].arrow_schema())
