"""Turn a model's reply into the code it meant: `extract(text, qualname)`.

Replies come in every shape: one fenced block, several, a lone closing fence (the prompt opened
it), no fence at all, prose around the code, `<think>` blocks, code indented by a list item, two
spaces or tabs, the whole module echoed back, the wrong function, or a reply cut off at the token
limit. Extraction repairs what can be repaired, records each repair in `Candidate.notes`, and turns
everything else into an `ExtractFailure` whose reason is fed back to the model. It never judges the
code itself: `filler.gates.judge` does that.

- `finish_reason == "length"` is truncation, and so is a fence left open by a reply that stops
  mid-line or whose code does not parse (an open fence after a complete last line is fine).
- Of several fenced blocks, the one defining `qualname` wins (the largest that parses, else the
  last one that tries), joined by any block that holds only imports.
- Without fences, code spans start at a `def`/`class`/`import`/`from`/`@` line (and the
  constants just above it) and end where prose resumes; the spans between prose are joined.
- A reply over `MAX_REPLY_CHARS` is refused before any of this: no fill needs one (the default
  `max_tokens` is 1024), and the work below grows with its length. A parse that fails rules out
  every longer span through its error line, so each span costs a few parses, not one per line;
  and the parsing done to find unfenced code is bounded by a multiple of the reply's length
  (correct replies use under 3 times it), so no reply of short lines can make it quadratic.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "MAX_REPLY_CHARS",
    "Candidate",
    "ExtractFailure",
    "extract",
    "fenced_blocks",
    "reply_too_long",
]

# About 50,000 tokens: fifty times the default `max_tokens`, and far beyond any unit's code.
MAX_REPLY_CHARS = 200_000


@dataclass(frozen=True)
class Candidate:
    """Module-level code from a reply: imports, private helpers and the target def/class."""

    code: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExtractFailure:
    """No usable code in the reply. `reason` is one line, fed back to the model."""

    reason: str
    truncated: bool = False


_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.IGNORECASE | re.DOTALL)
_THINK_CLOSE = re.compile(r"</think>", re.IGNORECASE)
_THINK_OPEN = re.compile(r"\A\s*<think>", re.IGNORECASE)
_FENCE = re.compile(r"^[ \t]*(?P<marks>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)[^`]*$")
_CODE_START = re.compile(
    r"^[ \t]*(?:(?:async[ \t]+)?def[ \t]|class[ \t]|import[ \t]|from[ \t]|@\w)"
)
# A top-level line that continues a code span rather than starting prose: statements, comments,
# assignments, calls and closing brackets. "Output" or "This works because ..." are prose.
_CODE_LINE = re.compile(
    r"""^(?:
        \#
      | [)\]}]
      | (?:async|def|class|import|from|if|elif|else|for|while|with|try|except|finally|return
          |raise|assert|del|global|nonlocal|pass|break|continue|match|case)\b
      | @\w
      | [A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*(?::[^=]*)?(?:[-+*/%&|^@]|//|<<|>>|\*\*)?=[^=]
      | [A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_]\w*)+\s*=[^=]
      | [A-Za-z_][\w.]*\(
    )""",
    re.VERBOSE,
)
_TRUNCATED = "the reply was cut off at the token limit; send only the code, without explanations"
_TANGLED = (
    "the reply mixes code and prose too finely to find the code; answer with one ```python block"
)
# Characters parsed to find the code spans of unfenced text: this many times its length, plus a
# floor for short replies.
_PARSE_FACTOR = 20
_PARSE_FLOOR = 100_000


class _Tangled(Exception):
    """Finding the code spans of unfenced text took more parsing than its length warrants."""


@dataclass
class _Budget:
    """Characters the parser may still be given; `_Tangled` once they run out."""

    left: int

    def error_line(self, code: str) -> int | None:
        self.left -= len(code)
        if self.left < 0:
            raise _Tangled
        return _error_line(code)


@dataclass(frozen=True)
class _Block:
    """A run of reply lines that may hold code, and how it was delimited."""

    code: str
    closed: bool  # False: a fence opened and the reply ended inside it
    fenced: bool


def extract(text: str, qualname: str, finish_reason: str = "stop") -> Candidate | ExtractFailure:
    """Find the code in a reply that defines `qualname`; see the module docstring."""
    too_long = reply_too_long(text)
    if too_long:
        return ExtractFailure(too_long)
    if finish_reason == "length":
        return ExtractFailure(_TRUNCATED, truncated=True)
    notes: list[str] = []
    text = _strip_think(text.replace("\r\n", "\n"), notes)
    try:
        blocks = _blocks(text, notes)
    except _Tangled:
        return ExtractFailure(_TANGLED)
    block = _choose(blocks, qualname)
    if block is None:
        return ExtractFailure(_missing_reason(blocks, qualname))
    if not block.closed:
        # A reply that stops mid-line inside an open block was cut off, whatever the provider
        # reports; one that ends its last line may just have left the fence open.
        if not (_parses(block.code) and text.endswith("\n")):
            return ExtractFailure(_TRUNCATED, truncated=True)
        notes.append("the code block was never closed")
    code = block.code
    unwritable = _unwritable(code)
    if unwritable:
        return ExtractFailure(unwritable)
    if len([b for b in blocks if b.fenced]) > 1:
        notes.append(f"took the code block that defines {qualname}")
        imports = [b.code for b in blocks if b is not block and b.fenced and _only_imports(b.code)]
        if imports:
            notes.append("added the imports of another code block")
            code = "\n".join(textwrap.dedent(part).strip("\n") for part in [*imports, code])
    return Candidate(_tidy(code, notes), tuple(notes))


def fenced_blocks(text: str) -> list[str]:
    """The code of every fenced block of a reply, dedented, in reply order; none from a reply
    over `MAX_REPLY_CHARS`."""
    if len(text) > MAX_REPLY_CHARS:
        return []
    try:
        blocks = _blocks(_strip_think(text.replace("\r\n", "\n"), []), [])
    except _Tangled:
        return []
    return [textwrap.dedent(block.code) for block in blocks if block.fenced]


def _unwritable(code: str) -> str:
    """Why `code` cannot be written to a file (a lone surrogate has no UTF-8 form), or ""."""
    try:
        code.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = code.count("\n", 0, exc.start) + 1
        return (
            f"line {line} of the code holds {code[exc.start]!r}, a lone surrogate that no "
            "source file can hold: write it as an escape sequence or leave it out"
        )
    return ""


def reply_too_long(text: str) -> str:
    """Why a reply is refused unread (it is over `MAX_REPLY_CHARS`), or ""."""
    if len(text) <= MAX_REPLY_CHARS:
        return ""
    return (
        f"the reply is {len(text):,} characters, over the limit of {MAX_REPLY_CHARS:,}; "
        "send only the code"
    )


def _strip_think(text: str, notes: list[str]) -> str:
    stripped = _THINK_BLOCK.sub("", text)
    if stripped != text:
        notes.append("removed a <think> block")
    # Chat templates often open the block themselves, so the reply only closes it.
    parts = _THINK_CLOSE.split(stripped)
    if len(parts) > 1:
        notes.append("removed reasoning before </think>")
        stripped = parts[-1]
    if _THINK_OPEN.match(stripped):
        notes.append("removed an unterminated <think> tag")
        stripped = _THINK_OPEN.sub("", stripped, count=1)
    return stripped


def _blocks(text: str, notes: list[str]) -> list[_Block]:
    """Fenced blocks in reply order, or the code spans of a reply without fences."""
    lines = text.split("\n")
    fences = [i for i, line in enumerate(lines) if _FENCE.match(line)]
    if not fences:
        notes.append("the reply had no code fence")
        return _joined(_code_spans(lines, notes), fenced=False)
    blocks: list[_Block] = []
    start = 0
    first = _FENCE.match(lines[fences[0]])
    prefix = lines[: fences[0]]
    if (
        len(fences) % 2
        and first is not None
        and not first["info"]
        and any(map(_CODE_START.match, prefix))
    ):
        notes.append("the reply closed a code fence it never opened")
        blocks.extend(_joined(_code_spans(prefix, notes), fenced=True))
        start = 1
    opened: int | None = None
    for index in fences[start:]:
        match = _FENCE.match(lines[index])
        if opened is None:
            opened = index
        elif match is not None and match["info"]:
            # An opening fence inside a block: the model forgot to close the previous one.
            blocks.append(_Block("\n".join(lines[opened + 1 : index]), False, True))
            opened = index
        else:
            blocks.append(_Block("\n".join(lines[opened + 1 : index]), True, True))
            opened = None
    if opened is not None:
        blocks.append(_Block("\n".join(lines[opened + 1 :]), False, True))
    return blocks


def _joined(spans: Iterator[str], *, fenced: bool) -> list[_Block]:
    """One block of all the code spans found between prose, or none."""
    code = "\n\n".join(spans)
    return [_Block(code, True, fenced)] if code else []


def _code_spans(lines: list[str], notes: list[str]) -> Iterator[str]:
    """Code spans of unfenced text: each starts at a def/class/import/decorator line and ends
    where the longest prefix that parses ends, so prose before, between and after is dropped."""
    budget = _Budget(_PARSE_FACTOR * sum(map(len, lines)) + _PARSE_FLOOR)
    index = 0
    dropped_prose = False
    while index < len(lines):
        start = next((i for i in range(index, len(lines)) if _CODE_START.match(lines[i])), None)
        if start is None:
            dropped_prose = dropped_prose or any(line.strip() for line in lines[index:])
            break
        start = _span_start(lines, start, index, budget)
        dropped_prose = dropped_prose or any(line.strip() for line in lines[index:start])
        span_end = _span_end(lines, start)
        # A line that reads as prose may sit inside a multi-line string: when nothing parses
        # before it, look past it.
        end = (
            _longest_parsing_prefix(lines, start, span_end, budget)
            or _longest_parsing_prefix(lines, start, len(lines), budget)
            or span_end
        )
        yield "\n".join(lines[start:end])
        index = end
    if dropped_prose:
        notes.append("removed prose around the code")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _span_start(lines: list[str], start: int, floor: int, budget: _Budget) -> int:
    """Widen a span upwards over code that precedes the first def/import (`_X = ...`)."""
    base = _indent(lines[start])
    earlier: list[int] = []
    for index in range(start - 1, floor - 1, -1):
        line = lines[index]
        if not line.strip() or _indent(line) > base:
            continue
        if _indent(line) < base or not _CODE_LINE.match(line[base:]):
            break
        earlier.append(index)
    earlier.reverse()
    while earlier:
        first = earlier[0]
        error = budget.error_line("\n".join(lines[first:start]))
        if error is None:
            return first
        # A start above the error line keeps the error in the span.
        earlier = [i for i in earlier[1:] if i > first + max(error, 1) - 1]
    return start


def _span_end(lines: list[str], start: int) -> int:
    """The first line after `start`, at or left of its indentation, that reads as prose."""
    base = _indent(lines[start])
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if line.strip() and _indent(line) <= base and not _CODE_LINE.match(line[base:]):
            return index
    return len(lines)


def _longest_parsing_prefix(lines: list[str], start: int, end: int, budget: _Budget) -> int | None:
    """The largest end (`end` itself, or a line at or left of the span's indentation) up to
    which the span parses; None when none does."""
    base = _indent(lines[start])
    candidate: int | None = end
    while candidate is not None:
        error = budget.error_line("\n".join(lines[start:candidate]))
        if error is None:
            return candidate
        # An end past the error line keeps the error in the span.
        limit = min(candidate - 1, start + error - 1) if error else candidate - 1
        candidate = next(
            (i for i in range(limit, start, -1) if lines[i].strip() and _indent(lines[i]) <= base),
            None,
        )
    return None


def _error_line(code: str) -> int | None:
    """None if `code` parses, else the 1-based line of its syntax error (0: not known)."""
    if code[:1] in (" ", "\t", "\n", "\r", "\f"):  # left-aligned code needs no dedent
        code = textwrap.dedent(code)
    try:
        ast.parse(code)
    except SyntaxError as exc:
        return exc.lineno or 0
    except ValueError:  # ast refuses a null byte wherever it is
        return code.count("\n", 0, code.find("\0")) + 1 if "\0" in code else 0
    return None


def _parses(code: str) -> bool:
    return _error_line(code) is None


def _only_imports(code: str) -> bool:
    try:
        body = ast.parse(textwrap.dedent(code)).body
    except (SyntaxError, ValueError):
        return False
    return bool(body) and all(isinstance(node, ast.Import | ast.ImportFrom) for node in body)


def _top_level_names(code: str) -> list[str]:
    try:
        tree = ast.parse(textwrap.dedent(code))
    except (SyntaxError, ValueError):
        return []
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [node.name for node in tree.body if isinstance(node, kinds)]


def _defines(code: str, qualname: str) -> bool:
    pattern = rf"^(?:async[ \t]+)?(?:def|class)[ \t]+{re.escape(qualname)}\b"
    return re.search(pattern, textwrap.dedent(code), re.MULTILINE) is not None


def _choose(blocks: list[_Block], qualname: str) -> _Block | None:
    """The block that defines `qualname`: the largest that parses, else the last one that tries."""
    defining = [block for block in blocks if _defines(block.code, qualname)]
    parsing = [block for block in defining if _parses(block.code)]
    if parsing:
        # max() keeps the first of equals; reversed() makes that the last in the reply.
        return max(reversed(parsing), key=lambda block: len(block.code))
    return defining[-1] if defining else None


def _missing_reason(blocks: list[_Block], qualname: str) -> str:
    names = [name for block in blocks for name in _top_level_names(block.code)]
    if names:
        listed = ", ".join(dict.fromkeys(names))
        return f"the reply defines {listed}, not {qualname}; send the code of {qualname}"
    return f"the reply has no Python code defining {qualname}; answer with one ```python block"


def _tidy(code: str, notes: list[str]) -> str:
    """Dedent uniformly indented code and note the indentation the merge will convert."""
    lines = code.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    code = "\n".join(lines).rstrip() + "\n"
    dedented = textwrap.dedent(code)
    if dedented != code:
        notes.append("removed the indentation common to every line")
    indents = [line[: _indent(line)] for line in dedented.split("\n") if line.strip()]
    step = next((indent for indent in indents if indent), "    ")
    if "\t" in step:
        notes.append("indented with tabs (re-indented on merge)")
    elif step != "    ":
        notes.append(f"indented with {len(step)} spaces (re-indented on merge)")
    return dedented
