"""filler.source.merge: bodies, imports and helpers go in; every other line of the skeleton stays.

Each test reads as before / reply / after (see tests/helpers/merge_cases.py).
"""

from __future__ import annotations

from typing import Any

import filler.source.merge
from filler.fill.extract import Candidate
from filler.gates.judge import Accepted
from filler.source.merge import merge
from tests.helpers.merge_cases import assert_merge, clean, fill, unit_named

TOKENIZE = '''
    """Split text into tokens."""

    from collections.abc import Iterable  # noqa: F401

    __all__ = ["Vocabulary", "word_tokens"]


    def word_tokens(text: str, *, lower: bool = False) -> list[str]:  # the spec's example
        """Split text into word tokens, dropping punctuation.

        Examples:
            >>> word_tokens("Hello, world!")
            ['Hello', 'world']
        """
        raise NotImplementedError


    class Vocabulary:
        """A growing token-to-id mapping."""

        def __init__(self, tokens: Iterable[str] = ()) -> None:
            """Create a Vocabulary."""
            raise NotImplementedError

        def add(self, token: str) -> int:
            """Add a token if new and return its id."""
            raise NotImplementedError
        # the end of Vocabulary
'''

FILLED_WORD_TOKENS = '''
    """Split text into tokens."""

    from collections.abc import Iterable  # noqa: F401

    __all__ = ["Vocabulary", "word_tokens"]


    def word_tokens(text: str, *, lower: bool = False) -> list[str]:  # the spec's example
        """Split text into word tokens, dropping punctuation.

        Examples:
            >>> word_tokens("Hello, world!")
            ['Hello', 'world']
        """
        words = [word.strip(".,!?") for word in text.split()]
        return [word.lower() for word in words] if lower else words


    class Vocabulary:
        """A growing token-to-id mapping."""

        def __init__(self, tokens: Iterable[str] = ()) -> None:
            """Create a Vocabulary."""
            raise NotImplementedError

        def add(self, token: str) -> int:
            """Add a token if new and return its id."""
            raise NotImplementedError
        # the end of Vocabulary
'''


def test_public_surface() -> None:
    assert filler.source.merge.__all__ == ["merge"]


def test_body_replaced_def_line_comment_and_docstring_kept() -> None:
    assert_merge(
        TOKENIZE,
        '''
        ```python
        def word_tokens(text: str, *, lower: bool = False) -> list[str]:
            """The model's own docstring is dropped."""
            words = [word.strip(".,!?") for word in text.split()]
            return [word.lower() for word in words] if lower else words
        ```
        ''',
        FILLED_WORD_TOKENS,
    )


def test_two_space_and_tab_replies_come_out_in_the_module_indentation() -> None:
    body = [
        "def word_tokens(text: str, *, lower: bool = False) -> list[str]:",
        "{i}words = []",
        "{i}for word in text.split():",
        "{i}{i}if word:",
        "{i}{i}{i}# keep the word",
        "{i}{i}{i}words.append(word)",
        "{i}return words",
    ]
    expected = clean(TOKENIZE).replace(
        "    raise NotImplementedError\n\n\nclass",
        "    words = []\n"
        "    for word in text.split():\n"
        "        if word:\n"
        "            # keep the word\n"
        "            words.append(word)\n"
        "    return words\n\n\nclass",
    )
    for indent in ("  ", "\t", "     "):
        reply = "\n".join(line.format(i=indent) for line in body) + "\n"
        assert_merge(TOKENIZE, reply, expected)


def test_class_targets_replaced_and_private_methods_added_after_the_last_method() -> None:
    verdict = assert_merge(
        TOKENIZE,
        """
        class Vocabulary:
            def __init__(self, tokens: Iterable[str] = ()) -> None:
                self._ids: dict[str, int] = {}
                for token in tokens:
                    self.add(token)

            def add(self, token: str) -> int:
                return self._ids.setdefault(token, self._next_id())

            def _next_id(self) -> int:
                return len(self._ids)
        """,
        '''
        """Split text into tokens."""

        from collections.abc import Iterable  # noqa: F401

        __all__ = ["Vocabulary", "word_tokens"]


        def word_tokens(text: str, *, lower: bool = False) -> list[str]:  # the spec's example
            """Split text into word tokens, dropping punctuation.

            Examples:
                >>> word_tokens("Hello, world!")
                ['Hello', 'world']
            """
            raise NotImplementedError


        class Vocabulary:
            """A growing token-to-id mapping."""

            def __init__(self, tokens: Iterable[str] = ()) -> None:
                """Create a Vocabulary."""
                self._ids: dict[str, int] = {}
                for token in tokens:
                    self.add(token)

            def add(self, token: str) -> int:
                """Add a token if new and return its id."""
                return self._ids.setdefault(token, self._next_id())

            def _next_id(self) -> int:
                return len(self._ids)
            # the end of Vocabulary
        ''',
        qualname="Vocabulary",
    )
    namespace: dict[str, Any] = {}
    exec(compile(verdict.module_source, "tokenize.py", "exec"), namespace)
    vocabulary = namespace["Vocabulary"](["a", "b", "a"])
    assert vocabulary.add("c") == 2


def test_imports_get_lines_of_their_own_and_helpers_go_before_their_first_use() -> None:
    assert_merge(
        TOKENIZE,
        """
        import re
        from collections.abc import Iterable, Iterator

        _WORD = re.compile(r"[\\w']+")


        def word_tokens(text: str, *, lower: bool = False) -> list[str]:
            return list(_words(text.lower() if lower else text))


        def _words(text: str) -> Iterator[str]:
            yield from _WORD.findall(text)
        """,
        '''
        """Split text into tokens."""

        from collections.abc import Iterable  # noqa: F401
        import re
        from collections.abc import Iterator

        __all__ = ["Vocabulary", "word_tokens"]


        _WORD = re.compile(r"[\\w']+")


        def _words(text: str) -> Iterator[str]:
            yield from _WORD.findall(text)


        def word_tokens(text: str, *, lower: bool = False) -> list[str]:  # the spec's example
            """Split text into word tokens, dropping punctuation.

            Examples:
                >>> word_tokens("Hello, world!")
                ['Hello', 'world']
            """
            return list(_words(text.lower() if lower else text))


        class Vocabulary:
            """A growing token-to-id mapping."""

            def __init__(self, tokens: Iterable[str] = ()) -> None:
                """Create a Vocabulary."""
                raise NotImplementedError

            def add(self, token: str) -> int:
                """Add a token if new and return its id."""
                raise NotImplementedError
            # the end of Vocabulary
        ''',
    )


def test_a_helper_used_by_an_earlier_unit_goes_before_that_unit() -> None:
    before = '''
        """Numbers."""


        def double(x: int) -> int:
            """Twice x."""
            return _twice(x)


        def triple(x: int) -> int:
            """Three times x."""
            raise NotImplementedError
    '''
    reply = """
        def _twice(x):
            return 2 * x


        def triple(x: int) -> int:
            return _twice(x) + x
    """
    after = '''
        """Numbers."""


        def _twice(x):
            return 2 * x


        def double(x: int) -> int:
            """Twice x."""
            return _twice(x)


        def triple(x: int) -> int:
            """Three times x."""
            return _twice(x) + x
    '''
    # `double` was written by hand against a helper that is not there yet: placing the new
    # helper before its first user makes the module import cleanly again.
    unit = unit_named(clean(before), "triple")
    assert merge(clean(before), unit, Candidate(clean(reply))) == clean(after)


def test_demo_imports_the_package_after_the_docstring_and_the_main_block_stays() -> None:
    before = clean('''
        """Demo of textkit.tokenize: Split text into tokens."""


        def main() -> None:
            """Show word_tokens at work on small inputs, printing each result."""
            raise NotImplementedError


        if __name__ == "__main__":
            main()
    ''')
    reply = clean("""
        from textkit.tokenize import word_tokens


        def main() -> None:
            for text in ("Hello, world!", "a b"):
                print(word_tokens(text))


        if __name__ == "__main__":
            main()
    """)
    verdict = fill(before, reply, module="examples.tokenize_demo")
    assert isinstance(verdict, Accepted), verdict
    assert verdict.module_source == clean('''
        """Demo of textkit.tokenize: Split text into tokens."""

        from textkit.tokenize import word_tokens


        def main() -> None:
            """Show word_tokens at work on small inputs, printing each result."""
            for text in ("Hello, world!", "a b"):
                print(word_tokens(text))


        if __name__ == "__main__":
            main()
    ''')


def test_one_line_skeleton_function_gets_a_block() -> None:
    before = "def f(x: int) -> int: raise NotImplementedError  # later\n"
    unit = unit_named(before, "f")
    merged = merge(before, unit, Candidate("def f(x: int) -> int:\n    y = x + 1\n    return y\n"))
    assert merged == "def f(x: int) -> int:  # later\n    y = x + 1\n    return y\n"


def test_a_candidate_without_the_target_leaves_the_module_alone() -> None:
    before = clean(TOKENIZE)
    assert merge(before, unit_named(before), Candidate("def other():\n    return 1\n")) == before


def test_echoed_definitions_and_existing_imports_are_not_duplicated() -> None:
    reply = clean(TOKENIZE).replace(
        "    raise NotImplementedError\n\n\nclass",
        '    words = [word.strip(".,!?") for word in text.split()]\n'
        "    return [word.lower() for word in words] if lower else words\n\n\nclass",
    )
    assert_merge(TOKENIZE, reply, FILLED_WORD_TOKENS)


PROPERTY = '''
    class Meter:
        """A length."""

        @property
        def metres(self) -> float:  # the unit the spec reads in
            """The length in metres."""
            raise NotImplementedError

        @metres.setter
        def metres(self, value: float) -> None:
            """Set it in metres."""
            raise NotImplementedError

        @staticmethod
        async def fetch(url: str) -> float:
            """A length read from `url`."""
            raise NotImplementedError
'''


def test_a_getter_its_setter_and_a_static_async_method_get_their_own_bodies() -> None:
    assert_merge(
        PROPERTY,
        """
        class Meter:
            @property
            def metres(self):
                return self._metres

            @metres.setter
            def metres(self, value):
                # never negative
                self._metres = max(value, 0.0)

            @staticmethod
            async def fetch(url):
                return float(len(url))
        """,
        '''
        class Meter:
            """A length."""

            @property
            def metres(self) -> float:  # the unit the spec reads in
                """The length in metres."""
                return self._metres

            @metres.setter
            def metres(self, value: float) -> None:
                """Set it in metres."""
                # never negative
                self._metres = max(value, 0.0)

            @staticmethod
            async def fetch(url: str) -> float:
                """A length read from `url`."""
                return float(len(url))
        ''',
    )


def test_a_constructor_the_class_lacked_goes_first_and_helper_methods_lose_their_docstring() -> (
    None
):
    assert_merge(
        '''
        class Meter:
            """A length."""

            unit = "m"

            def grow(self, by: float) -> float:
                """Grow by `by`; the new length."""
                raise NotImplementedError
        ''',
        '''
        class Meter:
            def __init__(self) -> None:
                """Start at zero."""
                self._metres = 0.0

            def grow(self, by):
                self._metres = self._clamped(self._metres + by)
                return self._metres

            def _clamped(self, value):
                """Never below zero."""
                return max(value, 0.0)
        ''',
        '''
        class Meter:
            """A length."""

            unit = "m"

            def __init__(self) -> None:
                """Start at zero."""
                self._metres = 0.0

            def grow(self, by: float) -> float:
                """Grow by `by`; the new length."""
                self._metres = self._clamped(self._metres + by)
                return self._metres

            def _clamped(self, value):
                return max(value, 0.0)
        ''',
    )
