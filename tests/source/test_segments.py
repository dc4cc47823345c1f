"""filler.source.syntax.segment: what `ast.get_source_segment` gives, from lines split once."""

from __future__ import annotations

import ast

from hypothesis import example, given
from hypothesis import strategies as st

from filler.source.syntax import segment, source_lines

_STATEMENTS = st.sampled_from(
    [
        "def f(a,\n      b):  # é\n    return 'ü'",
        "class T:\n    def test_a(self):\n        assert 'x\x0cy' == 1",
        "x = '\u2028'",
        "if x:\n    pass",
        "async def g():\n    await h()",
        "@pytest.mark.spec('p.m:f')\ndef test_f():\n    assert f(1) == 2",
        "y = [1,\n     2]; z = 3",
    ]
)


@given(
    st.lists(_STATEMENTS, min_size=1, max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
)
@example(["x = '\u2028'", "if x:\n    pass"], "\r", False)
def test_segment_is_ast_get_source_segment(
    statements: list[str], newline: str, trailing: bool
) -> None:
    source = newline.join(s.replace("\n", newline) for s in statements) + (
        newline if trailing else ""
    )
    tree = ast.parse(source)
    lines = source_lines(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            assert segment(lines, node) == ast.get_source_segment(source, node)


def test_source_lines_keep_their_ends() -> None:
    assert source_lines("a\r\nb\rc\nd") == ("a\r\n", "b\r", "c\n", "d")
    assert source_lines("a\x0cb\n") == ("a\x0cb\n",)
    assert source_lines("") == ()
