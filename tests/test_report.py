"""The run record: totals, JSON for machines and an HTML page for people."""

from __future__ import annotations

import json
from pathlib import Path

from filler.providers.base import Reply, Usage
from filler.report import CallStats, Outcome, Rejection, RunRecord, UnitRecord, write_report


def reply(model: str, prompt: int, completion: int) -> Reply:
    return Reply("x", "stop", Usage(prompt, completion), 0.5, model)


def test_call_stats_add_tokens_latency_and_known_costs() -> None:
    stats = CallStats().add("openai", reply("gpt-4o-mini", 1_000_000, 0))
    stats = stats.add("openai", reply("gpt-4o-mini", 0, 1_000_000))
    assert (stats.calls, stats.tokens, stats.provider_seconds) == (2, 2_000_000, 1.0)
    assert stats.cost_usd is not None and stats.cost_usd > 0
    unknown = stats.add("openai", reply("a-model-nobody-priced", 10, 10))
    assert unknown.cost_usd is None  # one unpriced call makes the total unknown
    assert CallStats().add("local", reply("smollm2", 10, 10)).cost_usd == 0.0


def test_the_record_is_written_as_json_and_html(tmp_path: Path) -> None:
    stats = CallStats(1, 10, 5, 0.2, 0.0)
    filled = UnitRecord(
        "pkg.m:f",
        "src/pkg/m.py",
        "stub",
        Outcome.FILLED,
        tests_passed=2,
        stats=stats,
        repairs=("the reply had no code fence",),
    )
    stub = UnitRecord(
        "pkg.m:g",
        "src/pkg/m.py",
        "stub",
        Outcome.STUB,
        reason="best candidate passed 1/2 spec tests",
        rejections=(Rejection("conduct", "<script>alert(1)</script>"),),
    )
    record = RunRecord("local", "smollm2", "2026-11-22T00:00:00+00:00", 3.5, (filled, stub))
    json_path, html_path = write_report(record, tmp_path / "run.json")
    data = json.loads(json_path.read_text())
    assert data["totals"] == {
        "units": 2, "filled": 1, "stubs": 1, "calls": 1, "prompt_tokens": 10,
        "completion_tokens": 5, "provider_seconds": 0.2, "cost_usd": 0.0,
    }  # fmt: skip
    assert data["units"][1]["reason"] == "best candidate passed 1/2 spec tests"
    page = html_path.read_text()
    assert "pkg.m:g" in page and "best candidate passed 1/2 spec tests" in page
    assert "<script>alert" not in page  # model output is escaped
    assert data["units"][0]["repairs"] == ["the reply had no code fence"]
    assert "reply repaired" in page and "the reply had no code fence" in page
