"""The support API on a real `shopops serve`: roles, messages, the ticket queue, limits."""

from __future__ import annotations

from .conftest import Server, SupportShop


def test_chat_role_may_only_send_messages(support_server: Server) -> None:
    r = support_server.post("/api/v1/support/messages", "chat", json={"text": "How much is shipping?"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["action"] == "answer" and body["intent"] == "shipping_cost" and body["source"]["entry_id"]
    assert support_server.get("/api/v1/support/tickets", "chat").status_code == 403
    assert support_server.get("/api/v1/orders", "chat").status_code == 403
    assert support_server.post("/api/v1/support/messages", "viewer", json={"text": "hi"}).status_code == 403


def test_a_conversation_continues_and_hands_off_to_the_queue(support_server: Server,
                                                            support_shop: SupportShop) -> None:
    order, email, _ = support_shop.order_of_customer()
    first = support_server.post("/api/v1/support/messages", "chat",
                                json={"text": f"我的订单{order}到哪了？"}).json()
    assert first["action"] == "ask" and first["language"] == "zh"
    second = support_server.post("/api/v1/support/messages", "chat",
                                 json={"text": email, "conversation_id": first["conversation_id"]}).json()
    assert second["action"] == "answer" and second["looked_up"]["proven"] is True
    third = support_server.post("/api/v1/support/messages", "chat",
                                json={"text": "请转人工", "conversation_id": first["conversation_id"]}).json()
    assert third["action"] == "handoff" and third["ticket_id"]
    queue = support_server.get("/api/v1/support/tickets", "agent").json()
    assert third["ticket_id"] in {t["ticket_id"] for t in queue}
    ticket = support_server.get(f"/api/v1/support/tickets/{third['ticket_id']}", "agent").json()
    assert [m["role"] for m in ticket["messages"]] == ["customer", "bot"] * 3
    assert email not in str(ticket)  # stored as a pseudonym
    done = support_server.post(f"/api/v1/support/tickets/{third['ticket_id']}/reply", "agent",
                               json={"text": "您好，我是客服小王。", "close": True}).json()
    assert done["status"] == "closed" and done["messages"][-1]["role"] == "agent"
    again = support_server.post(f"/api/v1/support/tickets/{third['ticket_id']}/close", "agent")
    assert again.status_code == 400 and "already closed" in again.json()["error"]


def test_bad_requests_get_clear_errors(support_server: Server) -> None:
    huge = support_server.post("/api/v1/support/messages", "chat", json={"text": "x" * 100_000})
    assert huge.status_code == 413 and "refused" in huge.json()["error"]
    no_text = support_server.post("/api/v1/support/messages", "chat", json={"conversation_id": "abc"})
    assert no_text.status_code == 422
    bad_id = support_server.post("/api/v1/support/messages", "chat", json={"text": "hi", "conversation_id": "a b;"})
    assert bad_id.status_code == 422
    empty_reply = support_server.post("/api/v1/support/tickets/Tnope/reply", "agent", json={"text": ""})
    assert empty_reply.status_code == 422
    missing = support_server.post("/api/v1/support/tickets/Tnope/reply", "agent", json={"text": "hello"})
    assert missing.status_code == 404 and "no ticket" in missing.json()["error"]


def test_a_batch_is_answered_in_order_like_single_messages(support_server: Server, support_shop: SupportShop) -> None:
    order, email, _ = support_shop.order_of_customer()
    r = support_server.post("/api/v1/support/messages/batch", "chat", json={"messages": [
        {"text": f"Where is my order {order}?", "conversation_id": "batch1"},
        {"text": "How much is shipping?"},
        {"text": email, "conversation_id": "batch1"}]})
    assert r.status_code == 200, r.text
    ask, shipping, shown = r.json()["replies"]
    assert ask["action"] == "ask" and ask["conversation_id"] == "batch1"
    assert shipping["intent"] == "shipping_cost" and shipping["conversation_id"] != "batch1"
    assert shown["action"] == "answer" and shown["looked_up"]["proven"] is True and order in shown["text"]
    assert support_server.post("/api/v1/support/messages/batch", "viewer",
                               json={"messages": [{"text": "hi"}]}).status_code == 403
    assert support_server.post("/api/v1/support/messages/batch", "chat", json={"messages": []}).status_code == 422
    too_many = {"messages": [{"text": "hi"}] * 101}
    assert support_server.post("/api/v1/support/messages/batch", "chat", json=too_many).status_code == 422


def test_the_ticket_queue_shows_every_write_at_once(support_server: Server, support_shop: SupportShop) -> None:
    """The queue is kept between writes; a handoff in the server and a close by another process both show next."""
    before = support_server.get("/api/v1/support/tickets?status=all", "agent").json()
    assert support_server.get("/api/v1/support/tickets?status=all", "agent").json() == before  # kept, same
    handed = support_server.post("/api/v1/support/messages", "chat", json={"text": "I want a human agent"}).json()
    assert handed["action"] == "handoff"
    after = support_server.get("/api/v1/support/tickets?status=all", "agent").json()
    assert len(after) == len(before) + 1
    mine = next(t for t in after if t["ticket_id"] == handed["ticket_id"])
    assert mine["status"] == "open"
    page = f"/api/v1/support/tickets/{handed['ticket_id']}"
    assert support_server.get(page, "agent").json()["status"] == "open"
    # This test's process is not the server: the kept queue and ticket must still see its commit.
    support_shop.shop.support_store().close(handed["ticket_id"], "another process")
    closed = support_server.get("/api/v1/support/tickets?status=all", "agent").json()
    assert next(t for t in closed if t["ticket_id"] == handed["ticket_id"])["status"] == "closed"
    assert support_server.get(page, "agent").json()["status"] == "closed"
    assert support_server.get("/api/v1/support/tickets/Tnothing00", "agent").status_code == 404
