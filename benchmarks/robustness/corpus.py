"""The benchmark's corpus: skeleton modules in the stub convention, and a correct reply per unit.

Seven feature modules, 54 units: 39 functions (one async, one decorated) and 15 classes, seven
of them (`textkit.stock`) of the kinds real packages have: an exception with its own base, an
enum with a class method and a property, a frozen dataclass with static and class methods, a
property with a setter, a class with fields, a generator and a private method the spec lists,
one the spec gives no constructor, and one whose constructor correctly does nothing beside an
async method. `textkit.convert`, rendered by the template from a spec, has `@overload` groups
(two functions, plain, static and class methods) and aliases (`load = parse`, `Cash = Money`,
`__radd__ = __add__`); its replies send the overloads back or not, and echo alias lines or not.
Every reply is the code a good model sends: imports, private helpers where they help, and the
unit with real bodies. Every unit carries examples (`expression`, expected value) that the
benchmark evaluates against the merged module, so an accepted merge is checked for behaviour as
well as for structure. Every module has a private constant, which the `helper_collision`
operator needs (`textkit.convert`'s is the one line not rendered by the template).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ENTRIES", "Entry"]


@dataclass(frozen=True)
class Entry:
    module: str  # dotted module name: "textkit.text"
    skeleton: str  # the whole module as the template renders it
    qualname: str
    reply: str  # a correct reply's code
    examples: tuple[tuple[str, object], ...]  # (expression, expected value)


# qualname -> (the correct reply, its examples)
Replies = dict[str, tuple[str, tuple[tuple[str, object], ...]]]

TEXT = '''"""Small text utilities."""

from collections.abc import Iterable  # noqa: F401

__all__ = [
    "capitalize_words",
    "char_frequency",
    "count_vowels",
    "is_palindrome",
    "longest_word",
    "reverse_words",
    "slugify",
    "strip_punctuation",
    "truncate",
    "word_count",
]

_ELLIPSIS = "..."


def word_count(text: str) -> int:
    """Count the words of a text, split on whitespace.

    Examples:
        >>> word_count("a b  c")
        3
    """
    raise NotImplementedError


def reverse_words(text: str) -> str:
    """Reverse the order of the words, joined by single spaces.

    Examples:
        >>> reverse_words("one two three")
        'three two one'
    """
    raise NotImplementedError


def is_palindrome(text: str) -> bool:
    """Whether the text reads the same backwards, ignoring case and non-letters.

    Examples:
        >>> is_palindrome("A man, a plan, a canal: Panama")
        True
    """
    raise NotImplementedError


def capitalize_words(text: str) -> str:  # keeps the spacing
    """Capitalize the first letter of every word.

    Examples:
        >>> capitalize_words("hello big world")
        'Hello Big World'
    """
    raise NotImplementedError


def count_vowels(text: str) -> int:
    """Count the vowels (a, e, i, o, u, either case).

    Examples:
        >>> count_vowels("Programming")
        3
    """
    raise NotImplementedError


def truncate(text: str, width: int) -> str:
    """Cut the text to `width` characters, ending in "..." when cut.

    Examples:
        >>> truncate("abcdefgh", 6)
        'abc...'
    """
    raise NotImplementedError


def slugify(text: str) -> str:
    """Lower-case words joined by dashes, without punctuation.

    Examples:
        >>> slugify("Hello, World! 2024")
        'hello-world-2024'
    """
    raise NotImplementedError


def char_frequency(text: str) -> dict[str, int]:
    """How often each character occurs.

    Examples:
        >>> char_frequency("abca")
        {'a': 2, 'b': 1, 'c': 1}
    """
    raise NotImplementedError


def strip_punctuation(text: str) -> str:
    """Remove ASCII punctuation.

    Examples:
        >>> strip_punctuation("Hi, there!")
        'Hi there'
    """
    raise NotImplementedError


def longest_word(words: Iterable[str]) -> str:
    """The longest word, the first of equals; "" for no words.

    Examples:
        >>> longest_word(["aa", "bbb", "ccc"])
        'bbb'
    """
    raise NotImplementedError
'''

TEXT_REPLIES: Replies = {
    "word_count": (
        "def word_count(text: str) -> int:\n    return len(text.split())\n",
        (("word_count('a b  c')", 3), ("word_count('')", 0)),
    ),
    "reverse_words": (
        "def reverse_words(text: str) -> str:\n    return ' '.join(reversed(text.split()))\n",
        (("reverse_words('one two three')", "three two one"),),
    ),
    "is_palindrome": (
        """def is_palindrome(text: str) -> bool:
    letters = [char.lower() for char in text if char.isalnum()]
    return letters == letters[::-1]
""",
        (("is_palindrome('A man, a plan, a canal: Panama')", True), ("is_palindrome('ab')", False)),
    ),
    "capitalize_words": (
        """def capitalize_words(text: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in text.split(" "))
""",
        (("capitalize_words('hello big world')", "Hello Big World"),),
    ),
    "count_vowels": (
        """_VOWELS = frozenset("aeiouAEIOU")


def count_vowels(text: str) -> int:
    return sum(1 for char in text if char in _VOWELS)
""",
        (("count_vowels('Programming')", 3),),
    ),
    "truncate": (
        """def truncate(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: max(width - len(_ELLIPSIS), 0)] + _ELLIPSIS
""",
        (("truncate('abcdefgh', 6)", "abc..."), ("truncate('abc', 6)", "abc")),
    ),
    "slugify": (
        """import re

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return _NOT_WORD.sub("-", text.lower()).strip("-")
""",
        (("slugify('Hello, World! 2024')", "hello-world-2024"),),
    ),
    "char_frequency": (
        """from collections import Counter


def char_frequency(text: str) -> dict[str, int]:
    return dict(Counter(text))
""",
        (("char_frequency('abca')", {"a": 2, "b": 1, "c": 1}),),
    ),
    "strip_punctuation": (
        """import string


def strip_punctuation(text: str) -> str:
    return text.translate(str.maketrans("", "", string.punctuation))
""",
        (("strip_punctuation('Hi, there!')", "Hi there"),),
    ),
    "longest_word": (
        """def longest_word(words: Iterable[str]) -> str:
    best = ""
    for word in words:
        if len(word) > len(best):
            best = word
    return best
""",
        (("longest_word(['aa', 'bbb', 'ccc'])", "bbb"), ("longest_word([])", "")),
    ),
}

NUMBERS = '''"""Number helpers."""

import functools

__all__ = [
    "celsius_to_fahrenheit",
    "clamp",
    "digit_sum",
    "factorial",
    "fibonacci",
    "gcd_list",
    "is_prime",
    "lcm",
    "mean",
    "median",
    "tribonacci",
]

_PRECISION = 6


def clamp(value: float, low: float, high: float) -> float:
    """Limit value to the range [low, high].

    Examples:
        >>> clamp(15, 0, 10)
        10
    """
    raise NotImplementedError


def gcd_list(numbers: list[int]) -> int:
    """The greatest common divisor of all numbers (0 for none).

    Examples:
        >>> gcd_list([12, 18, 24])
        6
    """
    raise NotImplementedError


def is_prime(n: int) -> bool:
    """Whether n is a prime number.

    Examples:
        >>> is_prime(97)
        True
    """
    raise NotImplementedError


def fibonacci(n: int) -> int:
    """The n-th Fibonacci number, fibonacci(0) == 0.

    Examples:
        >>> fibonacci(10)
        55
    """
    raise NotImplementedError


def mean(values: list[float]) -> float:
    """The arithmetic mean, rounded to 6 places.

    Examples:
        >>> mean([1, 2, 4])
        2.333333
    """
    raise NotImplementedError


def median(values: list[float]) -> float:
    """The median of the values.

    Examples:
        >>> median([3, 1, 4, 2])
        2.5
    """
    raise NotImplementedError


def factorial(n: int) -> int:
    """n! for n >= 0; ValueError for negative n.

    Examples:
        >>> factorial(5)
        120
    """
    raise NotImplementedError


def digit_sum(n: int) -> int:
    """The sum of the decimal digits of abs(n).

    Examples:
        >>> digit_sum(-1234)
        10
    """
    raise NotImplementedError


def celsius_to_fahrenheit(celsius: float) -> float:
    """Convert degrees Celsius to Fahrenheit.

    Examples:
        >>> celsius_to_fahrenheit(100)
        212.0
    """
    raise NotImplementedError


def lcm(a: int, b: int, /) -> int:
    """The least common multiple of two positive integers.

    Examples:
        >>> lcm(4, 6)
        12
    """
    raise NotImplementedError


@functools.cache
def tribonacci(n: int) -> int:
    """The n-th Tribonacci number: 0, 0, 1, 1, 2, 4, 7, ...

    Examples:
        >>> tribonacci(6)
        7
    """
    raise NotImplementedError
'''

NUMBER_REPLIES: Replies = {
    "clamp": (
        "def clamp(value: float, low: float, high: float) -> float:\n"
        "    return max(low, min(value, high))\n",
        (("clamp(15, 0, 10)", 10), ("clamp(-1, 0, 10)", 0)),
    ),
    "gcd_list": (
        """import math
from functools import reduce


def gcd_list(numbers: list[int]) -> int:
    return reduce(math.gcd, numbers, 0)
""",
        (("gcd_list([12, 18, 24])", 6), ("gcd_list([])", 0)),
    ),
    "is_prime": (
        """def is_prime(n: int) -> bool:
    if n < 2:
        return False
    divisor = 2
    while divisor * divisor <= n:
        if n % divisor == 0:
            return False
        divisor += 1
    return True
""",
        (("is_prime(97)", True), ("is_prime(1)", False), ("is_prime(91)", False)),
    ),
    "fibonacci": (
        """def fibonacci(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
""",
        (("fibonacci(10)", 55), ("fibonacci(0)", 0)),
    ),
    "mean": (
        """def mean(values: list[float]) -> float:
    return round(sum(values) / len(values), _PRECISION)
""",
        (("mean([1, 2, 4])", 2.333333),),
    ),
    "median": (
        """def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
""",
        (("median([3, 1, 4, 2])", 2.5), ("median([5, 1, 3])", 3)),
    ),
    "factorial": (
        """def factorial(n: int) -> int:
    if n < 0:
        raise ValueError("n must be >= 0")
    result = 1
    for k in range(2, n + 1):
        result *= k
    return result
""",
        (("factorial(5)", 120), ("factorial(0)", 1)),
    ),
    "digit_sum": (
        "def digit_sum(n: int) -> int:\n    return sum(int(digit) for digit in str(abs(n)))\n",
        (("digit_sum(-1234)", 10),),
    ),
    "celsius_to_fahrenheit": (
        "def celsius_to_fahrenheit(celsius: float) -> float:\n    return celsius * 9 / 5 + 32\n",
        (("celsius_to_fahrenheit(100)", 212.0), ("celsius_to_fahrenheit(-40)", -40.0)),
    ),
    "lcm": (
        """from math import gcd


def lcm(a: int, b: int, /) -> int:
    return a * b // gcd(a, b)
""",
        (("lcm(4, 6)", 12),),
    ),
    "tribonacci": (
        """@functools.cache
def tribonacci(n: int) -> int:
    if n < 2:
        return 0
    if n == 2:
        return 1
    return tribonacci(n - 1) + tribonacci(n - 2) + tribonacci(n - 3)
""",
        (("tribonacci(6)", 7), ("tribonacci(10)", 81)),
    ),
}

LISTS = '''"""Operations on lists."""

from collections.abc import Iterable, Iterator  # noqa: F401

__all__ = [
    "chunk",
    "flatten",
    "gather_lengths",
    "group_by_length",
    "interleave",
    "merge_sorted",
    "most_common",
    "pairwise_sums",
    "rotate",
    "running_total",
    "unique",
]

_DEFAULT_SIZE = 2


def chunk(items: list[int], size: int = _DEFAULT_SIZE) -> list[list[int]]:
    """Split items into lists of `size` (the last may be shorter).

    Examples:
        >>> chunk([1, 2, 3, 4, 5], 2)
        [[1, 2], [3, 4], [5]]
    """
    raise NotImplementedError


def flatten(nested: list[list[int]]) -> list[int]:
    """One list of all items, in order.

    Examples:
        >>> flatten([[1, 2], [], [3]])
        [1, 2, 3]
    """
    raise NotImplementedError


def unique(items: Iterable[int]) -> list[int]:
    """The items without repeats, first occurrence first.

    Examples:
        >>> unique([3, 1, 3, 2, 1])
        [3, 1, 2]
    """
    raise NotImplementedError


def rotate(items: list[int], steps: int) -> list[int]:
    """Rotate right by `steps` (negative: left).

    Examples:
        >>> rotate([1, 2, 3, 4], 1)
        [4, 1, 2, 3]
    """
    raise NotImplementedError


def pairwise_sums(items: list[int]) -> list[int]:
    """Sums of neighbouring items.

    Examples:
        >>> pairwise_sums([1, 2, 3])
        [3, 5]
    """
    raise NotImplementedError


def group_by_length(words: list[str]) -> dict[int, list[str]]:
    """Words grouped by their length, in input order.

    Examples:
        >>> group_by_length(["a", "bb", "c"])
        {1: ['a', 'c'], 2: ['bb']}
    """
    raise NotImplementedError


def merge_sorted(left: list[int], right: list[int]) -> list[int]:
    """Merge two sorted lists into one sorted list.

    Examples:
        >>> merge_sorted([1, 4], [2, 3, 5])
        [1, 2, 3, 4, 5]
    """
    raise NotImplementedError


def running_total(items: Iterable[int]) -> Iterator[int]:
    """Yield the running totals.

    Examples:
        >>> list(running_total([1, 2, 3]))
        [1, 3, 6]
    """
    raise NotImplementedError


def most_common(items: list[str]) -> str | None:
    """The most frequent item (the first of equals), None for no items.

    Examples:
        >>> most_common(["a", "b", "b"])
        'b'
    """
    raise NotImplementedError


def interleave(first: list[int], second: list[int]) -> list[int]:
    """Alternate items of both lists, then the rest of the longer.

    Examples:
        >>> interleave([1, 3], [2, 4, 6])
        [1, 2, 3, 4, 6]
    """
    raise NotImplementedError


async def gather_lengths(texts: list[str]) -> list[int]:
    """The lengths of the texts, computed concurrently.

    Examples:
        >>> import asyncio
        >>> asyncio.run(gather_lengths(["a", "bcd"]))
        [1, 3]
    """
    raise NotImplementedError
'''

LIST_REPLIES: Replies = {
    "chunk": (
        """def chunk(items: list[int], size: int = _DEFAULT_SIZE) -> list[list[int]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
""",
        (("chunk([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]), ("chunk([1, 2, 3])", [[1, 2], [3]])),
    ),
    "flatten": (
        """from itertools import chain


def flatten(nested: list[list[int]]) -> list[int]:
    return list(chain.from_iterable(nested))
""",
        (("flatten([[1, 2], [], [3]])", [1, 2, 3]),),
    ),
    "unique": (
        "def unique(items: Iterable[int]) -> list[int]:\n    return list(dict.fromkeys(items))\n",
        (("unique([3, 1, 3, 2, 1])", [3, 1, 2]),),
    ),
    "rotate": (
        """def rotate(items: list[int], steps: int) -> list[int]:
    if not items:
        return []
    steps %= len(items)
    return items[-steps:] + items[:-steps]
""",
        (("rotate([1, 2, 3, 4], 1)", [4, 1, 2, 3]), ("rotate([1, 2, 3], -1)", [2, 3, 1])),
    ),
    "pairwise_sums": (
        """def pairwise_sums(items: list[int]) -> list[int]:
    return [a + b for a, b in zip(items, items[1:])]
""",
        (("pairwise_sums([1, 2, 3])", [3, 5]),),
    ),
    "group_by_length": (
        """from collections import defaultdict


def group_by_length(words: list[str]) -> dict[int, list[str]]:
    groups: defaultdict[int, list[str]] = defaultdict(list)
    for word in words:
        groups[len(word)].append(word)
    return dict(groups)
""",
        (("group_by_length(['a', 'bb', 'c'])", {1: ["a", "c"], 2: ["bb"]}),),
    ),
    "merge_sorted": (
        """def merge_sorted(left: list[int], right: list[int]) -> list[int]:
    merged = []
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] <= right[j]:
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    return merged + left[i:] + right[j:]
""",
        (("merge_sorted([1, 4], [2, 3, 5])", [1, 2, 3, 4, 5]),),
    ),
    "running_total": (
        """def running_total(items: Iterable[int]) -> Iterator[int]:
    total = 0
    for item in items:
        total += item
        yield total
""",
        (("list(running_total([1, 2, 3]))", [1, 3, 6]),),
    ),
    "most_common": (
        """from collections import Counter


def most_common(items: list[str]) -> str | None:
    if not items:
        return None
    return Counter(items).most_common(1)[0][0]
""",
        (("most_common(['a', 'b', 'b'])", "b"), ("most_common([])", None)),
    ),
    "interleave": (
        """def interleave(first: list[int], second: list[int]) -> list[int]:
    result = []
    for index in range(max(len(first), len(second))):
        for source in (first, second):
            if index < len(source):
                result.append(source[index])
    return result
""",
        (("interleave([1, 3], [2, 4, 6])", [1, 2, 3, 4, 6]),),
    ),
    "gather_lengths": (
        """import asyncio


async def _length(text: str) -> int:
    await asyncio.sleep(0)
    return len(text)


async def gather_lengths(texts: list[str]) -> list[int]:
    return list(await asyncio.gather(*(_length(text) for text in texts)))
""",
        (("asyncio.run(gather_lengths(['a', 'bcd']))", [1, 3]),),
    ),
}

PARSING = '''"""Parse small formats."""

__all__ = ["int_to_roman", "is_valid_email", "parse_duration", "parse_pairs", "roman_to_int"]

_SEPARATOR = ";"


def parse_pairs(text: str) -> dict[str, str]:
    """Parse "a=1;b=2" into {"a": "1", "b": "2"}; empty parts are skipped.

    Examples:
        >>> parse_pairs("a=1;b=2;")
        {'a': '1', 'b': '2'}
    """
    raise NotImplementedError


def parse_duration(text: str) -> int:
    """Minutes in a duration such as "1h30m", "45m" or "2h".

    Examples:
        >>> parse_duration("1h30m")
        90
    """
    raise NotImplementedError


def is_valid_email(address: str) -> bool:
    """Whether the address looks like name@domain.tld.

    Examples:
        >>> is_valid_email("ada@example.org")
        True
    """
    raise NotImplementedError


def roman_to_int(numeral: str) -> int:
    """The value of a Roman numeral.

    Examples:
        >>> roman_to_int("MCMXCIV")
        1994
    """
    raise NotImplementedError


def int_to_roman(number: int) -> str:
    """The Roman numeral for 1 <= number <= 3999.

    Examples:
        >>> int_to_roman(1994)
        'MCMXCIV'
    """
    raise NotImplementedError
'''

PARSING_REPLIES: Replies = {
    "parse_pairs": (
        """def parse_pairs(text: str) -> dict[str, str]:
    pairs = {}
    for part in text.split(_SEPARATOR):
        if part:
            key, _, value = part.partition("=")
            pairs[key] = value
    return pairs
""",
        (("parse_pairs('a=1;b=2;')", {"a": "1", "b": "2"}),),
    ),
    "parse_duration": (
        """import re

_PART = re.compile(r"(\\d+)([hm])")


def parse_duration(text: str) -> int:
    minutes = 0
    for amount, unit in _PART.findall(text):
        minutes += int(amount) * (60 if unit == "h" else 1)
    return minutes
""",
        (("parse_duration('1h30m')", 90), ("parse_duration('2h')", 120)),
    ),
    "is_valid_email": (
        """import re


def is_valid_email(address: str) -> bool:
    return re.fullmatch(r"[^@\\s]+@[^@\\s]+\\.[a-z]{2,}", address) is not None
""",
        (("is_valid_email('ada@example.org')", True), ("is_valid_email('ada@')", False)),
    ),
    "roman_to_int": (
        """_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def roman_to_int(numeral: str) -> int:
    total = 0
    for current, following in zip(numeral, numeral[1:] + " "):
        value = _VALUES[current]
        total += -value if value < _VALUES.get(following, 0) else value
    return total
""",
        (("roman_to_int('MCMXCIV')", 1994), ("roman_to_int('III')", 3)),
    ),
    "int_to_roman": (
        """_NUMERALS = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)


def int_to_roman(number: int) -> str:
    parts = []
    for value, numeral in _NUMERALS:
        count, number = divmod(number, value)
        parts.append(numeral * count)
    return "".join(parts)
""",
        (("int_to_roman(1994)", "MCMXCIV"), ("int_to_roman(4)", "IV")),
    ),
}

STRUCTURES = '''"""Small data structures."""

from collections.abc import Iterable

__all__ = ["Inventory", "RunningMean", "Stack", "Tally", "TextStats", "Vocabulary"]

_EMPTY = "empty"


class Stack:
    """A last-in, first-out stack."""

    def __init__(self) -> None:
        """Create an empty stack."""
        raise NotImplementedError

    def push(self, item: int) -> None:
        """Put an item on top."""
        raise NotImplementedError

    def pop(self) -> int:
        """Remove and return the top item; IndexError when empty."""
        raise NotImplementedError

    def __len__(self) -> int:
        """How many items there are."""
        raise NotImplementedError


class Vocabulary:
    """A growing token-to-id mapping."""

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        """Create a Vocabulary holding the tokens."""
        raise NotImplementedError

    def add(self, token: str) -> int:
        """Add a token if new and return its id.

        Examples:
            >>> v = Vocabulary()
            >>> v.add("a")
            0
        """
        raise NotImplementedError

    def lookup(self, token: str) -> int | None:
        """The id of a token, None if unknown."""
        raise NotImplementedError


class RunningMean:
    """The mean of the values seen so far."""

    def __init__(self) -> None:
        """Start with no values."""
        raise NotImplementedError

    def add(self, value: float) -> float:
        """Add a value and return the mean so far."""
        raise NotImplementedError


class Tally:
    """Count things."""

    def __init__(self) -> None:
        """Start with no counts."""
        self._counts: dict[str, int] = {}

    def add(self, item: str, times: int = 1) -> None:
        """Count an item `times` more."""
        raise NotImplementedError

    def count(self, item: str) -> int:
        """How often an item was counted."""
        raise NotImplementedError

    def total(self) -> int:
        """All counts together."""
        return sum(self._counts.values())


class Inventory:
    """Stock levels per product."""

    def __init__(self, stock: dict[str, int] | None = None) -> None:
        """Start from the given stock."""
        raise NotImplementedError

    def remove(self, product: str, amount: int) -> bool:
        """Take `amount` out if there is enough; whether it was taken."""
        raise NotImplementedError

    def describe(self) -> str:
        """"product: n" lines, sorted; "empty" for no stock."""
        raise NotImplementedError


class TextStats:
    """Statistics about one text."""

    def __init__(self, text: str) -> None:
        """Analyse the text."""
        raise NotImplementedError

    @property
    def words(self) -> int:
        """The number of words."""
        raise NotImplementedError

    @staticmethod
    def sentences(text: str) -> int:
        """The number of sentences (runs ending in . ! or ?)."""
        raise NotImplementedError
'''

STRUCTURE_REPLIES: Replies = {
    "Stack": (
        """class Stack:
    def __init__(self) -> None:
        self._items: list[int] = []

    def push(self, item: int) -> None:
        self._items.append(item)

    def pop(self) -> int:
        return self._items.pop()

    def __len__(self) -> int:
        return len(self._items)
""",
        (("[s := Stack(), s.push(1), s.push(2), s.pop(), len(s)][3:]", [2, 1]),),
    ),
    "Vocabulary": (
        """class Vocabulary:
    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self._ids: dict[str, int] = {}
        for token in tokens:
            self.add(token)

    def add(self, token: str) -> int:
        return self._ids.setdefault(token, len(self._ids))

    def lookup(self, token: str) -> int | None:
        return self._ids.get(token)
""",
        (
            (
                "[v := Vocabulary(['a', 'b']), v.add('a'), v.add('c'), v.lookup('z')][1:]",
                [0, 2, None],
            ),
        ),
    ),
    "RunningMean": (
        """class RunningMean:
    def __init__(self) -> None:
        self._total = 0.0
        self._count = 0

    def add(self, value: float) -> float:
        self._total += value
        self._count += 1
        return self._total / self._count
""",
        (("[m := RunningMean(), m.add(2), m.add(4)][1:]", [2.0, 3.0]),),
    ),
    "Tally": (
        """class Tally:
    def add(self, item: str, times: int = 1) -> None:
        self._counts[item] = self.count(item) + times

    def count(self, item: str) -> int:
        return self._counts.get(item, 0)
""",
        (("[t := Tally(), t.add('x'), t.add('x', 2), t.count('x'), t.total()][3:]", [3, 3]),),
    ),
    "Inventory": (
        """class Inventory:
    def __init__(self, stock: dict[str, int] | None = None) -> None:
        self._stock = dict(stock or {})

    def remove(self, product: str, amount: int) -> bool:
        if self._stock.get(product, 0) < amount:
            return False
        self._stock[product] -= amount
        return True

    def describe(self) -> str:
        lines = [f"{name}: {count}" for name, count in sorted(self._stock.items()) if count]
        return "\\n".join(lines) or _EMPTY
""",
        (
            (
                "[i := Inventory({'b': 1, 'a': 2}), i.remove('a', 5), i.describe()][1:]",
                [False, "a: 2\nb: 1"],
            ),
            ("Inventory().describe()", "empty"),
        ),
    ),
    "TextStats": (
        """import re


class TextStats:
    def __init__(self, text: str) -> None:
        self._text = text

    @property
    def words(self) -> int:
        return len(self._text.split())

    @staticmethod
    def sentences(text: str) -> int:
        return len(re.findall(r"[^.!?]+[.!?]", text))
""",
        (("TextStats('One two. Three!').words", 3), ("TextStats.sentences('A. B? C')", 2)),
    ),
}


# Issue 19: the classes real packages have, each stub of a kind the spec can now state. The
# replies are written the way published reference solutions are (annotations mostly left out).
STOCK = """\"\"\"Stock levels, kept in classes of every kind.\"\"\"

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "MAX_COUNT",
    "Bin",
    "Kind",
    "Ledger",
    "OutOfStock",
    "Reading",
    "Shelf",
    "Sku",
    "StockError",
]

MAX_COUNT = 1000
_SEPARATOR = ":"


class StockError(Exception):
    \"\"\"Base of the package's errors.\"\"\"


class OutOfStock(StockError):
    \"\"\"Raised when there is not enough of an item.\"\"\"

    def __init__(self, code: str, missing: int) -> None:
        \"\"\"Remember what was missing.\"\"\"
        raise NotImplementedError

    def __str__(self) -> str:
        \"\"\"'<missing> short of <code>'.\"\"\"
        raise NotImplementedError


class Kind(Enum):
    \"\"\"What an item is.\"\"\"

    TOOL = "tool"
    PART = "part"

    @classmethod
    def parse(cls, text: str) -> \"Kind\":
        \"\"\"The kind `text` names, in any case.\"\"\"
        raise NotImplementedError

    @property
    def plural(self) -> str:
        \"\"\"The kind's value with an s.\"\"\"
        raise NotImplementedError


@dataclass(frozen=True)
class Sku:
    \"\"\"A stock-keeping unit.\"\"\"

    code: str
    kind: Kind = Kind.PART

    @staticmethod
    def is_valid(code: str) -> bool:
        \"\"\"Whether `code` is three capitals, a dash and digits.\"\"\"
        raise NotImplementedError

    @classmethod
    def parse(cls, text: str) -> \"Sku\":
        \"\"\"'ABC-1:tool' is Sku('ABC-1', Kind.TOOL); without a kind, a part.\"\"\"
        raise NotImplementedError

    def label(self) -> str:
        \"\"\"'ABC-1 (tool)'.\"\"\"
        raise NotImplementedError


class Bin:
    \"\"\"A count of one item, from 0 to MAX_COUNT.\"\"\"

    def __init__(self, count: int = 0) -> None:
        \"\"\"Start with `count`.\"\"\"
        raise NotImplementedError

    @property
    def count(self) -> int:
        \"\"\"How many the bin holds.\"\"\"
        raise NotImplementedError

    @count.setter
    def count(self, value: int) -> None:
        \"\"\"Set the count; ValueError outside 0..MAX_COUNT.\"\"\"
        raise NotImplementedError


class Shelf:
    \"\"\"Bins by SKU code.\"\"\"

    label: str = "shelf"

    def __init__(self) -> None:
        \"\"\"An empty shelf.\"\"\"
        raise NotImplementedError

    def put(self, code: str, count: int) -> int:
        \"\"\"Add `count` of `code`; the new count.\"\"\"
        raise NotImplementedError

    def take(self, code: str, count: int) -> int:
        \"\"\"Take `count` out; the new count, OutOfStock when there are fewer.\"\"\"
        raise NotImplementedError

    def codes(self) -> Iterator[str]:
        \"\"\"The codes on the shelf, sorted, one at a time.\"\"\"
        raise NotImplementedError

    def _count(self, code: str) -> int:
        \"\"\"How many of `code` there are, 0 for a code never put.\"\"\"
        raise NotImplementedError


class Reading:
    \"\"\"Counts the words it has read.\"\"\"

    def feed(self, text: str) -> int:
        \"\"\"Count the words of `text`; the total so far.\"\"\"
        raise NotImplementedError


class Ledger:
    \"\"\"Adds up counts; keeps nothing.\"\"\"

    def __init__(self) -> None:
        \"\"\"Nothing to set up.\"\"\"
        raise NotImplementedError

    async def total(self, counts: list[int]) -> int:
        \"\"\"The sum of `counts`, yielding to the event loop between items.\"\"\"
        raise NotImplementedError
"""

STOCK_REPLIES: Replies = {
    "OutOfStock": (
        """class OutOfStock(StockError):
    def __init__(self, code, missing):
        super().__init__(code, missing)
        self.code = code
        self.missing = missing

    def __str__(self):
        return f"{self.missing} short of {self.code}"
""",
        (
            ("str(OutOfStock('ABC-1', 2))", "2 short of ABC-1"),
            ("isinstance(OutOfStock('A', 1), StockError)", True),
        ),
    ),
    "Kind": (
        """class Kind(Enum):
    TOOL = "tool"
    PART = "part"

    @classmethod
    def parse(cls, text):
        return cls(text.strip().lower())

    @property
    def plural(self):
        return self.value + "s"
""",
        (("Kind.parse(' TOOL') is Kind.TOOL", True), ("Kind.PART.plural", "parts")),
    ),
    "Sku": (
        """import re


@dataclass(frozen=True)
class Sku:
    @staticmethod
    def is_valid(code):
        return re.fullmatch(r"[A-Z]{3}-[0-9]+", code) is not None

    @classmethod
    def parse(cls, text):
        code, _, kind = text.partition(_SEPARATOR)
        return cls(code, Kind(kind) if kind else Kind.PART)

    def label(self):
        return f"{self.code} ({self.kind.value})"
""",
        (
            ("[Sku.is_valid('ABC-12'), Sku.is_valid('AB-1')]", [True, False]),
            ("Sku.parse('ABC-1:tool').label()", "ABC-1 (tool)"),
            ("Sku.parse('ABC-1') == Sku('ABC-1')", True),
        ),
    ),
    "Bin": (
        """class Bin:
    def __init__(self, count=0):
        self._count = 0
        self.count = count

    @property
    def count(self):
        return self._count

    @count.setter
    def count(self, value):
        if not 0 <= value <= MAX_COUNT:
            raise ValueError(f"a bin holds 0 to {MAX_COUNT}, not {value}")
        self._count = value
""",
        (
            ("[b := Bin(2), setattr(b, 'count', 5), b.count][2]", 5),
            ("[b := Bin(), b.count][1]", 0),
        ),
    ),
    "Shelf": (
        """class Shelf:
    def __init__(self):
        self._counts = {}

    def put(self, code, count):
        self._counts[code] = self._count(code) + count
        return self._counts[code]

    def take(self, code, count):
        have = self._count(code)
        if have < count:
            raise OutOfStock(code, count - have)
        self._counts[code] = have - count
        return self._counts[code]

    def codes(self):
        for code in sorted(self._counts):
            yield code

    def _count(self, code):
        return self._counts.get(code, 0)
""",
        (
            (
                "[s := Shelf(), s.put('B', 2), s.put('A', 1), s.take('B', 1), list(s.codes())][1:]",
                [2, 1, 1, ["A", "B"]],
            ),
            ("[s := Shelf(), s.put('A', 1), s.label][2]", "shelf"),
        ),
    ),
    "Reading": (
        """class Reading:
    def __init__(self):
        self.total = 0

    def feed(self, text):
        self.total += len(text.split())
        return self.total
""",
        (("[r := Reading(), r.feed('a b'), r.feed('c')][1:]", [2, 3]),),
    ),
    "Ledger": (
        """class Ledger:
    def __init__(self):
        pass

    async def total(self, counts):
        result = 0
        for count in counts:
            result += count
            await asyncio.sleep(0)
        return result
""",
        (("asyncio.run(Ledger().total([1, 2, 3]))", 6),),
    ),
}


# Issue 19: `@overload` groups and aliases, in a module exactly as the template renders them
# (the private constant added, which `helper_collision` needs). Replies send the overloads
# back or leave them out, and echo the class's alias lines or not.
CONVERT = '''"""Conversions with overloads and aliases."""

from __future__ import annotations

import typing

__all__ = ["BASE", "Cash", "Money", "Pair", "first", "load", "parse"]

BASE = 10
"""The default base."""

_MINUS = "-"


@typing.overload
def parse(value: str, base: int = BASE) -> int: ...


@typing.overload
def parse(value: bytes, base: int = BASE) -> int: ...


def parse(value: str | bytes, base: int = BASE) -> int:
    """Parse an int from text or bytes.

    Examples:
        >>> parse('12')
        12
    """
    raise NotImplementedError


@typing.overload
def first(items: str) -> str | None: ...


@typing.overload
def first(items: list[int]) -> int | None: ...


def first(items: str | list[int]) -> str | int | None:
    """The first item, None for none.

    Examples:
        >>> first('ab')
        'a'
    """
    raise NotImplementedError


class Money:
    """An amount of cents."""

    def __init__(self, cents: int) -> None:
        """Create a new Money."""
        raise NotImplementedError

    @typing.overload
    def scaled(self, factor: int) -> int: ...

    @typing.overload
    def scaled(self, factor: float) -> float: ...

    def scaled(self, factor: int | float) -> int | float:
        """The cents times factor.

        Examples:
            >>> three.scaled(2)
            6
            >>> # for all n = st.integers(-5, 5):
            >>> three.scaled(n) == 3 * n
            True
        """
        raise NotImplementedError

    @staticmethod
    @typing.overload
    def of(value: int) -> Money: ...

    @staticmethod
    @typing.overload
    def of(value: str) -> Money: ...

    @staticmethod
    def of(value: int | str) -> Money:
        """Money from cents or a text of cents.

        Examples:
            >>> Money.of('5').cents
            5
        """
        raise NotImplementedError

    def __add__(self, other: Money) -> Money:
        """The sum."""
        raise NotImplementedError

    def __mul__(self, factor: int) -> Money:
        """The amount times factor."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        """Same cents."""
        raise NotImplementedError

    __radd__ = __add__
    __rmul__ = __mul__


class Pair:
    """Two ints, left and right."""

    def __init__(self, left: int, right: int) -> None:
        """Create a new Pair."""
        raise NotImplementedError

    @typing.overload
    def __getitem__(self, index: int) -> int: ...

    @typing.overload
    def __getitem__(self, index: slice) -> tuple[int, ...]: ...

    def __getitem__(self, index: int | slice) -> int | tuple[int, ...]:
        """One side by position, or a slice of both."""
        raise NotImplementedError

    @classmethod
    @typing.overload
    def of(cls, value: int) -> Pair: ...

    @classmethod
    @typing.overload
    def of(cls, value: tuple[int, int]) -> Pair: ...

    @classmethod
    def of(cls, value: int | tuple[int, int]) -> Pair:
        """A pair of value twice, or of the tuple's two ints."""
        raise NotImplementedError

    def swapped(self) -> Pair:
        """The pair with its sides exchanged."""
        raise NotImplementedError

    def __add__(self, other: Pair) -> Pair:
        """The sum, side by side."""
        raise NotImplementedError

    flipped = swapped
    __radd__ = __add__


load = parse
"""Alias of `parse`."""
Cash = Money
"""Money under its other name."""
'''

CONVERT_REPLIES: Replies = {
    "parse": (
        """def parse(value: str | bytes, base: int = BASE) -> int:
    text = value.decode() if isinstance(value, bytes) else value
    return int(text.strip(), base)


load = parse
""",
        (
            ("parse('12')", 12),
            ("parse(b' 7')", 7),
            ("parse('ff', 16)", 255),
            ("load('3')", 3),
        ),
    ),
    "first": (
        """from typing import overload


@overload
def first(items: str) -> str | None: ...


@overload
def first(items: list[int]) -> int | None: ...


def first(items):
    for item in items:
        return item
    return None
""",
        (("first('ab')", "a"), ("first([3, 4])", 3), ("first([]) is None", True)),
    ),
    "Money": (
        """class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents

    @typing.overload
    def scaled(self, factor: int) -> int: ...

    @typing.overload
    def scaled(self, factor: float) -> float: ...

    def scaled(self, factor: int | float) -> int | float:
        return self.cents * factor

    @staticmethod
    @typing.overload
    def of(value: int) -> Money: ...

    @staticmethod
    @typing.overload
    def of(value: str) -> Money: ...

    @staticmethod
    def of(value: int | str) -> Money:
        return Money(int(value))

    def __add__(self, other: Money) -> Money:
        return Money(self.cents + other.cents)

    def __mul__(self, factor: int) -> Money:
        return Money(self.cents * factor)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and other.cents == self.cents

    __radd__ = __add__
    __rmul__ = __mul__
""",
        (
            ("[Money(3).scaled(2), Money(3).scaled(0.5)]", [6, 1.5]),
            ("Money.of('5').cents", 5),
            ("[(Money(1) + Money(2)).cents, (3 * Money(2)).cents]", [3, 6]),
            ("Cash(4) == Money(4)", True),
        ),
    ),
    "Pair": (
        """class Pair:
    def __init__(self, left, right):
        self.left = left
        self.right = right

    def __getitem__(self, index):
        return (self.left, self.right)[index]

    @classmethod
    def of(cls, value):
        if isinstance(value, int):
            return cls(value, value)
        return cls(*value)

    def swapped(self):
        return Pair(self.right, self.left)

    def __add__(self, other):
        return Pair(self.left + other.left, self.right + other.right)
""",
        (
            ("[Pair(1, 2)[0], Pair(1, 2)[:]]", [1, (1, 2)]),
            ("[Pair.of(3)[:], Pair.of((1, 2)).flipped()[:]]", [(3, 3), (2, 1)]),
            ("(Pair(1, 2) + Pair(3, 4))[:]", (4, 6)),
        ),
    ),
}


def _entries() -> tuple[Entry, ...]:
    modules: list[tuple[str, str, Replies]] = [
        ("textkit.text", TEXT, TEXT_REPLIES),
        ("textkit.numbers", NUMBERS, NUMBER_REPLIES),
        ("textkit.lists", LISTS, LIST_REPLIES),
        ("textkit.parsing", PARSING, PARSING_REPLIES),
        ("textkit.structures", STRUCTURES, STRUCTURE_REPLIES),
        ("textkit.stock", STOCK, STOCK_REPLIES),
        ("textkit.convert", CONVERT, CONVERT_REPLIES),
    ]
    return tuple(
        Entry(module, skeleton, qualname, reply, examples)
        for module, skeleton, replies in modules
        for qualname, (reply, examples) in replies.items()
    )


ENTRIES = _entries()
