"""Loading a knowledge base through the validated ingest: formats, encodings, quarantine, versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopops import Shop
from shopops.errors import SourceError
from shopops.support import knowledge_base

_GOOD_MD = """---
id: returns-en
topic: returns
language: en
questions:
  - How do I return an item?
  - Can I send it back?
tags: [returns, policy]
intent: return_request
---
Returns are free within **30 days**.
"""

_GOOD_MD_ZH = """---
id: returns-zh
topic: returns
language: zh
questions: [怎么退货？, 可以退回吗？]
intent: return_request
---
30天内免费退货。
"""

_BROKEN_MD = """---
id: broken
questions: [unclosed
language en
---
Body
"""


def _write_kb(folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    (folder / "returns-en.md").write_text(_GOOD_MD, encoding="utf-8")
    (folder / "returns-zh.md").write_text(_GOOD_MD_ZH, encoding="gbk")  # a GBK file, as Windows tools save it
    (folder / "broken.md").write_text(_BROKEN_MD, encoding="utf-8")
    (folder / "faq.csv").write_text(
        "entry_id,topic,language,questions,answer,tags\n"
        "ship-en,shipping,en,How much is shipping? | What does delivery cost?,£3.99 under £30.,shipping\n"
        "dup-en,other,en,How do I return an item?,A second answer to the same question.,\n"
        "empty-en,empty,en,Is this answered?,,\n", encoding="utf-8")
    (folder / "more.json").write_text(json.dumps({"entries": [
        {"id": "ship-zh", "topic": "shipping", "language": "zh", "questions": ["运费多少？"], "answer": "£3.99。"},
        {"id": "bad-lang", "topic": "x", "language": "fr", "question": "Combien?", "answer": "Trois."},
    ]}, ensure_ascii=False), encoding="utf-8")
    return [folder]


def test_kb_ingest_quarantines_bad_entries_with_reasons(data_dir: Path) -> None:
    shop = Shop.open(data_dir)
    result, notes = shop.support_load_kb(_write_kb(data_dir.parent / "kb"))
    report = result.tables["kb_entries"]
    assert report.rows_in == 11
    assert report.rows_quarantined == 4
    q = shop.quarantine("kb_entries")
    reasons = " | ".join(q["reason"] if "reason" in q else q["_reason"])
    assert "duplicate key" in reasons  # the same English question twice
    assert "answer" in reasons  # the empty answer
    assert "broken front matter" in reasons and "broken.md" in reasons
    assert '"fr" is not one of zh, en' in reasons
    assert any("gb18030" in n for n in notes)  # the GBK file was read, and said so
    kb = knowledge_base(shop.reader)
    # Files are read in name order, so faq.csv asks "How do I return an item?" first; returns-en keeps its other question.
    assert set(kb["entry_id"]) == {"dup-en", "returns-en", "returns-zh", "ship-en", "ship-zh"}
    assert list(kb.loc[kb["entry_id"] == "returns-en", "question"]) == ["Can I send it back?"]
    zh = kb[kb["entry_id"] == "returns-zh"]
    assert set(zh["question"]) == {"怎么退货？", "可以退回吗？"} and zh["answer"].iloc[0] == "30天内免费退货。"
    assert kb.loc[kb["entry_id"] == "returns-en", "tags"].iloc[0] == "returns,policy"
    assert len(q) == 4


def test_a_second_load_is_a_new_version_that_replaces_repeated_questions(data_dir: Path, tmp_path: Path) -> None:
    shop = Shop.open(data_dir)
    first = tmp_path / "v1.md"
    first.write_text(_GOOD_MD, encoding="utf-8")
    shop.support_load_kb([first])
    second = tmp_path / "v2.md"
    second.write_text(_GOOD_MD.replace("**30 days**", "**60 days**"), encoding="utf-8")
    result, _ = shop.support_load_kb([second])
    assert result.status == "committed" and len(shop.batches()) == 2
    kb = knowledge_base(shop.reader)
    assert len(kb) == 2 and kb["answer"].str.contains("60 days").all()
    again, _ = shop.support_load_kb([second])
    assert again.status == "skipped"


def test_kb_files_of_an_unknown_kind_are_refused(tmp_path: Path, data_dir: Path) -> None:
    bad = tmp_path / "faq.txt"
    bad.write_text("hello", encoding="utf-8")
    with pytest.raises(SourceError, match="Markdown, CSV or JSON"):
        Shop.open(data_dir).support_load_kb([bad])
    broken_json = tmp_path / "faq.json"
    broken_json.write_text("[{", encoding="utf-8")
    with pytest.raises(SourceError, match="not valid JSON"):
        Shop.open(data_dir).support_load_kb([broken_json])
