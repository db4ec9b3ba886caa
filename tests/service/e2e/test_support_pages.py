"""The Support dashboard page and the chat widget in a real headless Chromium, in both languages."""

from __future__ import annotations

from tests.support import conftest as support
from tests.support.conftest import Server

# The support tests' shop and server, as fixtures of this module (the browser is this folder's).
support_shop = support.support_shop
support_server = support.support_server

_XSS = "<img src=x onerror=alert(1)> I want a human now"


def test_agent_works_the_queue_on_the_support_page(page, support_server: Server) -> None:
    made = support_server.post("/api/v1/support/messages", "chat", json={"text": _XSS}).json()
    assert made["action"] == "handoff"
    page.goto(support_server.url)
    page.fill("#login-key", support_server.keys["agent"])
    page.click("#login-form button")
    page.wait_for_selector('#page[data-ready="1"]')
    page.goto(f"{support_server.url}#/support")
    page.wait_for_selector('#page[data-page="support"][data-ready="1"]')
    assert page.inner_text("#page h1") == "Support"
    row = page.locator("#tickets-table tbody tr", has_text=made["ticket_id"])
    row.click()
    page.wait_for_selector("#sp-log .msg-customer")
    # the message is shown as text: no <img> element was created from it
    assert page.locator("#sp-log img").count() == 0
    assert "<img src=x" in page.inner_text("#sp-log")
    page.fill("#sp-reply", "A colleague will call you today.")
    page.click("#sp-send-close")
    page.wait_for_selector("#sp-log .msg-agent")
    assert "A colleague will call you today." in page.inner_text("#sp-log")
    ticket = support_server.get(f"/api/v1/support/tickets/{made['ticket_id']}", "agent").json()
    assert ticket["status"] == "closed"
    page.click("#lang-switch")
    page.wait_for_selector('#page[data-page="support"][data-ready="1"]')
    assert page.inner_text("#page h1") == "客服"


def test_chat_widget_answers_in_both_languages(page, support_server: Server) -> None:
    page.goto(f"{support_server.url}static/chat/index.html#key={support_server.keys['chat']}")
    page.fill("#chat-input", "How much is shipping?")
    page.click("#chat-send")
    page.wait_for_selector("#chat-log .msg-bot .why")
    assert "£" in page.inner_text("#chat-log .msg-bot")
    page.click("#chat-lang")
    assert page.inner_text("#chat-send") == "发送"
    page.fill("#chat-input", "<b>运费</b>多少钱？")
    page.click("#chat-send")
    page.wait_for_function("document.querySelectorAll('#chat-log .msg-bot .why').length >= 2")
    assert page.locator("#chat-log b").count() == 0
    assert "运费" in page.locator("#chat-log .msg-bot").nth(1).inner_text()
