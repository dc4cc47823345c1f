"""filler.gates.judge: every gate of DESIGN.md step 5 with its reason, and the repairs it makes."""

from __future__ import annotations

import pytest

import filler.gates.judge
from filler.errors import ProjectError
from filler.fill.extract import Candidate
from filler.gates.judge import (
    Accepted,
    AllowedImports,
    Fits,
    Gate,
    NoLongerFits,
    Pending,
    Rejected,
    judge,
    judge_in_turn,
)
from filler.source.units import find_units
from tests.helpers.merge_cases import (
    ALLOWED,
    MODULE,
    PATH,
    assert_rejected,
    clean,
    fill,
    unit_named,
)

SKELETON = '''
    """Split text into tokens."""

    import re
    from collections.abc import Iterable

    __all__ = ["Vocabulary", "sentence_count", "word_tokens"]

    _PUNCTUATION = ".,!?"


    def word_tokens(text: str, *, lower: bool = False) -> list[str]:
        """Split text into word tokens."""
        raise NotImplementedError


    def sentence_count(text: str) -> int:
        """Count the sentences of a text."""
        return len(re.findall(r"[.!?]", text))


    class Vocabulary:
        """A growing token-to-id mapping."""

        limit = 100

        def __init__(self, tokens: Iterable[str] = ()) -> None:
            """Create a Vocabulary."""
            raise NotImplementedError

        def add(self, token: str) -> int:
            """Add a token if new and return its id."""
            raise NotImplementedError

        def size(self) -> int:
            """How many tokens there are."""
            return len(self._ids)

        def _reset(self) -> None:
            self._ids = {}
'''

HEADER = "def word_tokens(text: str, *, lower: bool = False) -> list[str]:"
BODY = "    return text.lower().split() if lower else text.split()\n"
GOOD = f"{HEADER}\n{BODY}"
VOCABULARY = """
    class Vocabulary:
        def __init__(self, tokens: Iterable[str] = ()) -> None:
            self._ids: dict[str, int] = {}

        def add(self, token: str) -> int:
            return self._ids.setdefault(token, len(self._ids))
"""


def fenced(reply: str) -> str:
    return f"```python\n{clean(reply)}```\n"


def accepted(reply: str, qualname: str | None = None) -> Accepted:
    verdict = fill(clean(SKELETON), fenced(reply), qualname)
    assert isinstance(verdict, Accepted), verdict
    return verdict


def rejected(reply: str, gate: str, qualname: str | None = None) -> Rejected:
    return assert_rejected(SKELETON, fenced(reply), gate, qualname)


def test_public_surface() -> None:
    assert filler.gates.judge.__all__ == [
        "Accepted",
        "AllowedImports",
        "Fits",
        "Gate",
        "InTurn",
        "NoLongerFits",
        "Pending",
        "Rejected",
        "Verdict",
        "carry_in_turn",
        "judge",
        "judge_in_turn",
    ]


def test_conduct_runs_right_after_the_stub_gate_and_demo_right_after_names() -> None:
    order = [gate.value for gate in Gate]
    # `extract` names a reply with no usable code, before any gate runs.
    assert order[:7] == ["extract", "parse", "target", "signature", "stub", "conduct", "imports"]
    assert order[order.index("names") + 1] == "demo"


def test_a_demo_is_judged_by_every_gate_and_must_call_the_package() -> None:
    demo = '"""Demo."""\n\n\ndef main() -> None:\n    """Show."""\n    raise NotImplementedError\n'
    idle = fill(demo, "```python\ndef main() -> None:\n    print(1)\n```", module="examples.x_demo")
    assert isinstance(idle, Rejected) and idle.gate is Gate.DEMO
    calls = (
        "from textkit.tokenize import word_tokens\n\n\n"
        "def main() -> None:\n    print(word_tokens('a'))"
    )
    busy = fill(demo, f"```python\n{calls}\n```", module="examples.x_demo")
    assert isinstance(busy, Accepted)
    # Outside examples/ the same code is an ordinary function: no demo gate.
    assert isinstance(fill(demo, "```python\ndef main() -> None:\n    print(1)\n```"), Accepted)


def test_a_good_reply_is_accepted_with_the_body_sha_of_what_it_wrote() -> None:
    verdict = accepted(GOOD)
    unit = next(
        u for u in find_units(verdict.module_source, MODULE, PATH) if u.qualname == "word_tokens"
    )
    assert verdict.body_sha == unit.body_sha
    assert not unit.is_stub
    assert BODY in verdict.module_source


def test_parse_gate_points_at_the_error() -> None:
    verdict = rejected(f"{HEADER}\n    return (text.split()\n", "parse")
    assert verdict.reason.startswith("line 2: '(' was never closed")
    assert verdict.line == 2
    assert verdict.excerpt == "    return (text.split()\n           ^"


def test_parse_gate_catches_mixed_tabs_and_spaces() -> None:
    reply = f"{HEADER}\n    if lower:\n\treturn []\n    return []\n"
    verdict = judge(clean(SKELETON), unit_named(clean(SKELETON)), Candidate(reply), ALLOWED)
    assert isinstance(verdict, Rejected)
    assert verdict.gate is Gate.PARSE


def test_target_gate_requires_the_unit_and_every_target_method() -> None:
    skeleton = clean(SKELETON)
    nothing = judge(skeleton, unit_named(skeleton), Candidate("_X = 1\n"), ALLOWED)
    assert isinstance(nothing, Rejected)
    assert nothing.reason.startswith("the reply does not define word_tokens at the top level")
    twice = rejected(f"{GOOD}\n\n{GOOD}", "target")
    assert "twice" in twice.reason
    assert twice.line == 5
    missing = rejected(
        "class Vocabulary:\n    def add(self, token: str) -> int:\n        return 0\n",
        "target",
        "Vocabulary",
    )
    assert missing.reason == "the class Vocabulary must also define __init__; write them"
    assert (
        "is a class" in rejected("def Vocabulary():\n    return 1\n", "target", "Vocabulary").reason
    )


@pytest.mark.parametrize(
    ("header", "caret_under"),
    [
        ("def word_tokens(txt: str, *, lower: bool = False) -> list[str]:", "txt"),
        ("def word_tokens(text: str, *, lower: bool = True) -> list[str]:", "True"),
        ("def word_tokens(text: str, lower: bool = False) -> list[str]:", "lower"),
        ("async def word_tokens(text: str, *, lower: bool = False) -> list[str]:", "async"),
        (
            "@staticmethod\ndef word_tokens(text: str, *, lower: bool = False) -> list[str]:",
            "staticmethod",
        ),
    ],
)
def test_signature_gate_compares_structure_and_points_at_the_change(
    header: str, caret_under: str
) -> None:
    verdict = rejected(f"{header}\n{BODY}", "signature")
    assert verdict.reason == (
        f"keep the signature exactly as given: `{HEADER}`; change only the body"
    )
    line, caret = verdict.excerpt.split("\n")
    assert line[caret.index("^") :].startswith(caret_under)


def test_signature_gate_ignores_whitespace_and_quotes() -> None:
    accepted(f"def word_tokens( text : str , * , lower : bool=False )->list[ str ]:\n{BODY}")


def test_annotations_a_reply_leaves_out_are_the_skeletons() -> None:
    verdict = accepted(f"def word_tokens(text, *, lower=False):\n{BODY}")
    assert f"{HEADER}\n" in verdict.module_source


@pytest.mark.parametrize(
    "header",
    [
        "def word_tokens(text: bytes, *, lower: bool = False) -> list[str]:",
        "def word_tokens(text: str, *, lower: bool = False) -> List[str]:",
        "def word_tokens(text: 'str', *, lower: int = False):",
    ],
)
def test_annotations_a_reply_writes_its_own_way_are_replaced(header: str) -> None:
    verdict = accepted(f"{header}\n{BODY}")
    assert f"{HEADER}\n" in verdict.module_source
    assert "List" not in verdict.module_source


def test_signature_gate_checks_class_headers_and_methods() -> None:
    header = rejected(
        clean(VOCABULARY).replace("Vocabulary:", "Vocabulary(dict):"), "signature", "Vocabulary"
    )
    assert header.reason == "keep the class header exactly as given: `class Vocabulary:`"
    method = rejected(
        clean(VOCABULARY).replace("token: str", "word: str"), "signature", "Vocabulary"
    )
    assert "`def add(self, token: str) -> int:`" in method.reason


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("    pass\n", "no code"),
        ("    ...\n", "no code"),
        ('    """Only a docstring."""\n', "only a docstring"),
        ("    raise NotImplementedError\n", "`raise NotImplementedError`"),
        ('    raise NotImplementedError("later")\n', "`raise NotImplementedError`"),
        ("    if lower:\n        ...\n    return text.split()\n", "`...`"),
        (
            "    if lower:\n        raise NotImplementedError()\n    return []\n",
            "`raise NotImplementedError`",
        ),
        ("    words = text.split()\n    # rest of code\n    return words\n", "placeholder comment"),
        ("    return []  # your code here\n", "placeholder comment"),
        ("    # ... existing code ...\n    return []\n", "placeholder comment"),
        ("    return []  # TODO: implement this\n", "placeholder comment"),
    ],
)
def test_stub_gate_rejects_placeholders(body: str, what: str) -> None:
    verdict = rejected(f"{HEADER}\n{body}", "stub")
    assert what in verdict.reason
    assert verdict.reason.startswith("word_tokens still has")


def test_stub_gate_allows_a_raise_with_a_message_among_real_code() -> None:
    accepted(f'{HEADER}\n    if lower:\n        raise NotImplementedError("no lower")\n{BODY}')


def test_stub_gate_checks_every_target_method() -> None:
    reply = clean(VOCABULARY).replace("return self._ids.setdefault(token, len(self._ids))", "pass")
    assert rejected(reply, "stub", "Vocabulary").reason.startswith("add still has")


@pytest.mark.parametrize(
    "imports",
    ["import requests", "from requests import get", "import os, requests", "import numpyx"],
)
def test_imports_gate_allows_only_stdlib_dependencies_and_the_package(imports: str) -> None:
    verdict = rejected(f"{imports}\n\n{GOOD}", "imports")
    assert verdict.reason == (
        f"`{imports}` is not allowed: import only from the standard library, textkit, numpy"
    )
    assert verdict.excerpt.startswith(imports)


def test_imports_gate_looks_inside_bodies_and_at_star_imports() -> None:
    assert rejected(f"{HEADER}\n    import yaml\n{BODY}", "imports").line == 2
    assert "not *" in rejected(f"from os.path import *\n\n{GOOD}", "imports").reason


def test_imports_gate_refuses_an_import_that_would_replace_a_module_name() -> None:
    verdict = rejected(f"from typing import Iterable\n\n{GOOD}", "imports")
    assert "would replace Iterable" in verdict.reason


def test_allowed_imports_merge_and_a_self_import_is_dropped() -> None:
    imports = [
        "import numpy as np",
        "import re",
        "from . import stem",
        "from textkit.tokenize import sentence_count",
        "from textkit.clean import strip",
    ]
    body = "    return [stem(w) for w in re.split(strip(text), np.str_(' '))]\n"
    verdict = accepted("\n".join(imports) + f"\n\n{HEADER}\n{body}")
    assert "import numpy as np\n" in verdict.module_source
    assert "from . import stem\n" in verdict.module_source
    assert "from textkit.clean import strip\n" in verdict.module_source
    assert "import sentence_count" not in verdict.module_source
    assert verdict.module_source.count("import re\n") == 1


def test_imports_the_code_does_not_read_stay_out() -> None:
    reply = f"import os\nimport os.path\nfrom collections import Counter\n\n{GOOD}"
    assert accepted(reply).module_source.count("import") == 2
    future = accepted(f"from __future__ import annotations\n\n{GOOD}").module_source
    assert future.startswith(
        '"""Split text into tokens."""\n\nfrom __future__ import annotations\n'
    )


def test_helpers_gate_wants_new_names_private() -> None:
    verdict = rejected(f"def split_words(text):\n    return text.split()\n\n\n{GOOD}", "helpers")
    assert verdict.reason.startswith("`split_words` would be a new public name in textkit.tokenize")
    assert "`_split_words`" in verdict.reason
    assert "`LIMIT`" in rejected(f"LIMIT = 3\n\n{GOOD}", "helpers").reason
    public_method = clean(VOCABULARY) + "\n    def clear(self) -> None:\n        self._ids = {}\n"
    assert (
        "Vocabulary.clear would be a new public method"
        in rejected(public_method, "helpers", "Vocabulary").reason
    )


def test_helpers_gate_refuses_collisions_unless_identical() -> None:
    verdict = rejected(f'_PUNCTUATION = "."\n\n{GOOD}', "helpers")
    assert (
        verdict.reason
        == "_PUNCTUATION already exists in textkit.tokenize: use it or rename your helper"
    )
    same = accepted(f'_PUNCTUATION = ".,!?"\n\n{GOOD}')
    assert same.module_source.count("_PUNCTUATION =") == 1
    changed_method = (
        clean(VOCABULARY) + "\n    def _reset(self) -> None:\n        self._ids = {'': 0}\n"
    )
    assert (
        "Vocabulary._reset already exists"
        in rejected(changed_method, "helpers", "Vocabulary").reason
    )


def test_private_helpers_of_every_kind_are_accepted() -> None:
    reply = f"""
        _LIMIT: int = 3
        _A, _B = 1, 2


        class _Cursor:
            pass


        def _clip(words):
            return words[:_LIMIT]


        {HEADER}
            return _clip(text.split())
    """
    merged = accepted(reply).module_source
    assert (
        merged.index("_LIMIT: int = 3")
        < merged.index("def _clip")
        < merged.index("def word_tokens")
    )


@pytest.mark.parametrize(
    "statement",
    [
        "print('loaded')",
        "for i in range(3):\n    pass",
        "assert True",
        "open('x').read()",
        "x.y = 1",
        "_COUNT += 1",
        "if True:\n    _X = 1",
    ],
)
def test_toplevel_gate_rejects_code_that_runs_on_import(statement: str) -> None:
    verdict = rejected(f"{statement}\n\n\n{GOOD}", "toplevel")
    first = statement.split("\n")[0]
    assert verdict.reason == (
        f"remove the top-level `{first}`: importing the module must not run code; "
        "keep it inside word_tokens"
    )
    assert verdict.line == 1


def test_main_block_and_module_docstring_are_dropped() -> None:
    reply = (
        f'"""My module."""\n\n{GOOD}\n\nif __name__ == "__main__":\n    print(word_tokens("a b"))\n'
    )
    verdict = accepted(reply)
    assert "My module" not in verdict.module_source
    assert "__main__" not in verdict.module_source


def test_echoed_definitions_are_ignored_never_merged() -> None:
    echoed = "def sentence_count(text: str) -> int:\n    return 0\n\n\n"
    verdict = accepted(echoed + GOOD)
    assert "return 0" not in verdict.module_source
    members = clean(VOCABULARY) + "\n    def size(self) -> int:\n        return -1\n"
    class_verdict = accepted(members, "Vocabulary")
    assert "return -1" not in class_verdict.module_source


def test_definitions_gate_keeps_the_rest_of_the_module() -> None:
    verdict = rejected(f'__all__ = ["word_tokens"]\n\n{GOOD}', "definitions")
    assert verdict.reason == "leave __all__ as the module defines it; change only word_tokens"
    attribute = clean(VOCABULARY).replace(
        "class Vocabulary:\n", "class Vocabulary:\n    limit = 5\n"
    )
    assert (
        "leave the class body of Vocabulary"
        in rejected(attribute, "definitions", "Vocabulary").reason
    )
    same = clean(VOCABULARY).replace("class Vocabulary:\n", "class Vocabulary:\n    limit = 100\n")
    accepted(same, "Vocabulary")


def test_compile_gate_checks_the_merged_module() -> None:
    verdict = rejected(f"{HEADER}\n    return [await w for w in text]\n", "compile")
    assert "outside of an asynchronous function" in verdict.reason
    assert verdict.line == 2
    nonlocal_ = rejected(f"{HEADER}\n    nonlocal missing\n    return []\n", "compile")
    assert "no binding for nonlocal 'missing' found" in nonlocal_.reason


def test_names_gate_finds_undefined_names_and_points_at_them() -> None:
    verdict = rejected(f"{HEADER}\n    return list(Counter(text.split()))\n", "names")
    assert verdict.reason == "Counter is not defined: import it or define it in your code"
    assert verdict.excerpt == "    return list(Counter(text.split()))\n                ^"
    helper = rejected(
        f"def _f():\n    return missing_name\n\n\n{HEADER}\n    return _f()\n", "names"
    )
    assert helper.line == 2


def test_a_standard_module_the_code_forgot_to_import_is_imported() -> None:
    body = "    return [w for w in text.split() if not keyword.iskeyword(w)] or [string.digits]\n"
    verdict = accepted(f"{HEADER}\n{body}")
    assert "\nimport keyword\nimport string\n" in verdict.module_source


def test_only_a_module_name_left_undefined_and_used_as_module_dot_name_gets_an_import() -> None:
    local = accepted(f"{HEADER}\n    string = text.lower()\n    return string.split()\n")
    assert "import string" not in local.module_source
    bare = rejected(f"{HEADER}\n    return list(collections)\n", "names")
    assert bare.reason == "collections is not defined: import it or define it in your code"


def test_names_gate_knows_builtins_module_names_and_scopes() -> None:
    body = (
        "    global _CACHE\n"
        "    _CACHE = {__name__: [w for w in text.split() if (n := len(w))]}\n"
        "    def inner(x=_PUNCTUATION):\n"
        "        return sorted(x, key=str.lower)\n"
        "    return [re.sub(inner(), '', w) for w in _CACHE[__name__]]\n"
    )
    accepted(f"{HEADER}\n{body}")


def test_gates_run_in_order_and_stop_at_the_first() -> None:
    reply = "import requests\n\ndef word_tokens(text):\n    pass\n"
    assert rejected(reply, "signature").gate == "signature"


def test_excerpt_carets_count_characters_and_keep_tabs() -> None:
    reply = f"{HEADER}\n\tcafé = 'é'\n\treturn [café + Counter]\n"
    verdict = rejected(reply, "names")
    assert verdict.excerpt == "\treturn [café + Counter]\n\t               ^"


def test_judge_again_on_a_module_where_a_sibling_was_filled_meanwhile() -> None:
    skeleton = clean(SKELETON)
    first = accepted(GOOD)
    vocabulary = unit_named(first.module_source, "Vocabulary")
    from filler.fill.extract import extract

    candidate = extract(clean(VOCABULARY), "Vocabulary")
    assert isinstance(candidate, Candidate)
    verdict = judge(first.module_source, vocabulary, candidate, ALLOWED)
    assert isinstance(verdict, Accepted)
    assert BODY in verdict.module_source
    assert len(verdict.module_source) > len(skeleton)


def pending_on(skeleton: str, reply: str, qualname: str) -> Pending:
    """`reply` for `qualname`, accepted by the gates on `skeleton`."""
    candidate = Candidate(clean(reply))
    verdict = judge(skeleton, unit_named(skeleton, qualname), candidate, ALLOWED)
    assert isinstance(verdict, Accepted), verdict
    return Pending(qualname, candidate, skeleton, verdict)


def test_judged_in_turn_each_candidate_lands_on_what_the_ones_before_left() -> None:
    skeleton = clean(SKELETON)
    tokens = pending_on(skeleton, GOOD, "word_tokens")
    vocabulary = pending_on(skeleton, VOCABULARY, "Vocabulary")
    first, second = judge_in_turn(skeleton, MODULE, PATH, [tokens, vocabulary], ALLOWED)
    assert isinstance(first, Fits) and isinstance(second, Fits)
    assert first.verdict is tokens.verdict  # judged on this very text: not judged again
    assert first.unit.qualname == "word_tokens" and second.unit.qualname == "Vocabulary"
    merged = second.verdict.module_source
    assert BODY in merged and "self._ids.setdefault(token" in merged


def test_judged_in_turn_a_candidate_that_no_longer_fits_is_left_out_with_its_reason() -> None:
    skeleton = clean(SKELETON)
    tokens = pending_on(
        skeleton, f"def _split(text):\n    return text.split()\n\n\n{GOOD}", "word_tokens"
    )
    same_helper = f"def _split(text):\n    return list(text)\n\n\n{clean(VOCABULARY)}"
    vocabulary = pending_on(skeleton, same_helper, "Vocabulary")
    gone = Pending("renamed", tokens.candidate, skeleton, tokens.verdict)
    first, second, third = judge_in_turn(
        skeleton, MODULE, PATH, [tokens, vocabulary, gone], ALLOWED
    )
    assert isinstance(first, Fits)
    assert isinstance(second, NoLongerFits)
    assert second.reason.startswith("the file changed during the run; the body no longer fits: ")
    assert "_split" in second.reason
    assert third == NoLongerFits(f"renamed is no longer in {PATH}")


def test_third_party_dependencies_come_from_allowed_imports() -> None:
    reply = f"import yaml\n\n{GOOD}"
    permitted = AllowedImports(package="textkit", third_party=frozenset({"yaml"}))
    verdict = fill(clean(SKELETON), reply, allowed=permitted)
    assert isinstance(verdict, Accepted)


def test_a_module_that_moved_on_is_a_project_error_not_a_rejection() -> None:
    skeleton = clean(SKELETON)
    unit = unit_named(skeleton)
    gone = skeleton.replace("def word_tokens", "def renamed")
    with pytest.raises(ProjectError, match="no longer defined"):
        judge(gone, unit, Candidate(GOOD), ALLOWED)
    with pytest.raises(ProjectError, match="does not parse"):
        judge(skeleton + "\ndef (\n", unit, Candidate(GOOD), ALLOWED)
    vocabulary = unit_named(skeleton, "Vocabulary")
    without_add = skeleton.replace("def add(", "def append(")
    with pytest.raises(ProjectError):
        judge(without_add, vocabulary, Candidate(clean(VOCABULARY)), ALLOWED)
