"""What the model is shown: visible tests by marker, public signatures, module imports."""

from __future__ import annotations

from pathlib import Path

from filler.fill.context import module_imports, package_api, public_signatures, spec_tests_by_unit

TESTS = """import pytest

from textkit.tokenize import Vocabulary, word_tokens


@pytest.mark.spec("textkit.tokenize:word_tokens")
def test_word_tokens_1() -> None:
    assert word_tokens("Hello, world!") == ["Hello", "world"]


@pytest.mark.spec("textkit.tokenize:Vocabulary")
def test_vocabulary_add_1() -> None:
    v = Vocabulary()
    assert v.add("a") == 0


def test_unmarked() -> None:
    assert word_tokens("") == []


@pytest.mark.spec("textkit.tokenize:word_tokens")
class TestByHand:
    def test_lower(self) -> None:
        assert word_tokens("A", lower=True) == ["a"]
"""

MODULE = '''"""Split text into tokens."""

from collections.abc import Iterable
import re as _re

__all__ = ["Vocabulary", "word_tokens"]


def word_tokens(text: str, *, lower: bool = False) -> list[str]:
    """Split text into word tokens, dropping punctuation.

    Examples:
        >>> word_tokens("Hello, world!")
    """
    raise NotImplementedError


def _private() -> None:
    pass


class Vocabulary:
    """A growing token-to-id mapping."""

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        raise NotImplementedError

    def add(self, token: str) -> int:
        """Add a token if new and return its id."""
        raise NotImplementedError

    def _grow(self) -> None:
        pass
'''


def test_visible_tests_are_the_ones_marked_with_the_unit_id() -> None:
    by_unit = spec_tests_by_unit({Path("tests/test_tokenize.py"): TESTS})
    assert set(by_unit) == {"textkit.tokenize:word_tokens", "textkit.tokenize:Vocabulary"}
    found = by_unit["textkit.tokenize:word_tokens"]
    assert [t.node_id for t in found] == [
        "tests/test_tokenize.py::test_word_tokens_1",
        "tests/test_tokenize.py::TestByHand::test_lower",
    ]
    assert found[0].source.startswith("def test_word_tokens_1() -> None:")
    assert 'assert word_tokens("Hello, world!")' in found[0].source


def test_a_test_file_that_does_not_parse_is_skipped() -> None:
    files = {Path("tests/a.py"): "def (", Path("tests/b.py"): TESTS}
    found = spec_tests_by_unit(files)["textkit.tokenize:Vocabulary"]
    assert [t.node_id for t in found] == ["tests/b.py::test_vocabulary_add_1"]


def test_public_signatures_list_public_names_with_their_first_doc_line() -> None:
    assert public_signatures(MODULE, "textkit.tokenize") == (
        "# textkit.tokenize\n"
        "def word_tokens(text: str, *, lower: bool=False) -> list[str]: ...  "
        "# Split text into word tokens, dropping punctuation.\n"
        "class Vocabulary:  # A growing token-to-id mapping.\n"
        "    def __init__(self, tokens: Iterable[str]=()) -> None: ...\n"
        "    def add(self, token: str) -> int: ...  # Add a token if new and return its id."
    )


def test_package_api_falls_back_to_the_own_module_when_too_long() -> None:
    big = "\n".join(f"def f{i}(x: int) -> int:\n    return x\n" for i in range(400))
    modules = {"pkg.big": big, "pkg.small": "def g() -> None:\n    pass\n"}
    assert package_api(modules, "pkg.small") == "# pkg.small\ndef g() -> None: ..."
    both = package_api({"pkg.a": "def a() -> None: ...", "pkg.b": "def b() -> None: ..."}, "pkg.a")
    assert both == "# pkg.a\ndef a() -> None: ...\n\n# pkg.b\ndef b() -> None: ..."


def test_module_imports_are_quoted_as_written() -> None:
    assert module_imports(MODULE) == "from collections.abc import Iterable\nimport re as _re"
    assert module_imports("def broken(:") == ""
