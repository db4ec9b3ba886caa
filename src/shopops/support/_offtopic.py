"""Messages a shop's bot should not answer, as a class of their own (``out_of_scope``).

A classifier trained only on the shop's intents is confidently wrong on anything else ("what is the
meaning of life" looks like a product question to it). These everyday off-topic requests, in both
languages, teach it an ``out_of_scope`` class; a message it puts there is handed off.
"""

from __future__ import annotations

__all__ = ["OFF_TOPIC", "OUT_OF_SCOPE"]

OUT_OF_SCOPE = "out_of_scope"

OFF_TOPIC: dict[str, tuple[str, ...]] = {
    "en": (
        "what is the meaning of life", "tell me a joke", "what's the weather like tomorrow",
        "who won the football last night", "can you recommend a good film", "what time is it in tokyo",
        "how do I cook rice", "what is the capital of australia", "play some music", "set an alarm for 7am",
        "how tall is mount everest", "translate hello into french", "what's 15 times 23",
        "who is the prime minister", "book me a table for two tonight", "how do I fix my bike chain",
        "is it going to rain", "what's the news today", "write me a poem", "how old are you",
        "are you a robot", "what is your favourite colour", "how do I learn python", "do you like cats",
        "what's the best phone to buy", "find me a flight to paris", "how many calories in a banana",
        "what's my horoscope", "help me with my homework", "how do I change a tyre", "what is bitcoin worth",
        "recommend a restaurant near me", "how do I get to the station", "what's the score",
        "can you call my mum", "how far is the moon", "what day is it", "sing me a song",
        "who invented the telephone", "how do I reset my router", "what should I have for dinner",
        "explain quantum physics", "what is love", "how do I apply for a passport", "my car won't start",
        "what's the exchange rate for dollars", "open the garage door", "turn on the lights",
        "what movies are on tonight", "how to lose weight fast", "which bank has the best savings rate",
        "is the pharmacy open", "how do I file my taxes", "tell me about the roman empire",
        "what's a good name for a dog", "how do I make pancakes", "remind me to call john",
        "what's trending on twitter", "can you do my shopping at tesco", "how do I unblock a sink",
    ),
    "zh": (
        "人生的意义是什么", "给我讲个笑话", "明天天气怎么样", "昨晚足球谁赢了", "推荐一部好看的电影",
        "东京现在几点", "米饭怎么煮", "澳大利亚的首都是哪里", "放首歌", "帮我定个早上7点的闹钟",
        "珠穆朗玛峰有多高", "你好用法语怎么说", "15乘以23等于多少", "现在的总理是谁", "帮我订今晚两个人的位子",
        "自行车链条怎么修", "今天会下雨吗", "今天有什么新闻", "给我写首诗", "你几岁了", "你是机器人吗",
        "你最喜欢什么颜色", "怎么学编程", "你喜欢猫吗", "买什么手机最好", "帮我找去巴黎的机票",
        "一根香蕉多少卡路里", "我的星座运势", "帮我写作业", "怎么换轮胎", "比特币现在多少钱",
        "附近有什么好吃的餐厅", "火车站怎么走", "比分是多少", "帮我给妈妈打电话", "月亮离地球多远",
        "今天星期几", "给我唱首歌", "电话是谁发明的", "路由器怎么重置", "晚饭吃什么好", "解释一下量子力学",
        "爱是什么", "护照怎么办理", "我的车打不着火", "美元汇率是多少", "打开车库门", "把灯打开",
        "今晚有什么电影", "怎么快速减肥", "哪家银行存款利率最高", "药店开门了吗", "怎么报税",
        "讲讲罗马帝国的历史", "给狗起什么名字好", "煎饼怎么做", "提醒我给小王打电话", "微博热搜是什么",
        "下水道堵了怎么办", "股票明天会涨吗",
    ),
}
