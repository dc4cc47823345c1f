"""A pytest plugin that fails a test when the unit under test returns what its annotation denies.

A body can pass an `assert f(x) == 3` by returning an object that equals everything
(`unittest.mock.ANY`, a proxy, a str subclass): its tests see nothing wrong. Its annotation
says `-> int`, though, and an int is what callers will get in production. So the runner loads
this file as a plugin (`-p`) into the candidate's test session, told which functions and
methods are the unit's (`--filler-returns module:qualname`); once the tests are collected it
wraps each of them, wherever the package and its tests hold it, so that every value it returns
is checked against its annotation, elements of lists, tuples, sets and dicts included.

It runs in the project's interpreter, inside the sandbox, beside the candidate's code: it
imports nothing of filler and only the standard library, and keeps to what Python 3.9 has. What
it cannot judge (a type variable, a forward reference it cannot resolve, a protocol that is not
runtime-checkable, an iterator it would have to consume) it lets pass: a false failure would
cost a correct body, a missed check only falls back to the tests.

The mismatch is raised as a BaseException, not a TypeError, so that neither a `raises:
TypeError` example nor a body's own `except Exception` can take it for an expected error.

PYTEST_DONT_REWRITE: it asserts nothing, and a warm runner's zygote has imported it once already.
"""

from __future__ import annotations

import collections.abc
import functools
import importlib
import inspect
import numbers
import os
import sys
import types
import typing
from collections.abc import Callable
from typing import Any

_OPTION = "--filler-returns"
_ELEMENTS_CHECKED = 1000  # a huge result is sampled, not walked
_SHOWN = 80


class ReturnTypeMismatch(BaseException):
    """A unit returned a value its return annotation does not allow."""


def conforms(value: object, hint: object) -> bool:
    """Whether `value` is allowed by the (already resolved) annotation `hint`; True when the
    annotation is one this check cannot judge."""
    if hint is typing.Any or hint is object:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        return conforms(value, args[0])
    if origin is typing.Union or (
        getattr(types, "UnionType", None) is not None and origin is types.UnionType
    ):
        return any(conforms(value, arg) for arg in args)
    if origin is typing.Literal:
        return any(type(value) is type(arg) and value == arg for arg in args)
    if origin is type:
        return isinstance(value, type) and (
            not args or not isinstance(args[0], type) or issubclass(value, args[0])
        )
    supertype = getattr(hint, "__supertype__", None)  # typing.NewType
    if supertype is not None:
        return conforms(value, supertype)
    if origin is not None:
        return _conforms_generic(value, origin, args)
    if isinstance(hint, type):
        return _is_instance(value, hint)
    return True


def _is_instance(value: object, cls: type) -> bool:
    if cls is bool:
        return isinstance(value, bool) or _is_numpy(value, "bool_", "bool")
    if cls in _NUMERIC:
        return isinstance(value, _NUMERIC[cls])
    if _is_typed_dict(cls):
        return isinstance(value, dict)
    if _is_unjudged_protocol(cls):
        return True
    try:
        return isinstance(value, cls)
    except TypeError:  # a class isinstance cannot take (a generic protocol, ...)
        return True


# The numeric tower of PEP 484 (an int where a float is declared is fine), and numpy's scalars
# through the ABCs they register with.
_NUMERIC: dict[type, type] = {
    int: numbers.Integral,
    float: numbers.Real,
    complex: numbers.Complex,
}


def _is_numpy(value: object, *names: str) -> bool:
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ in names


def _is_unjudged_protocol(cls: type) -> bool:
    return bool(getattr(cls, "_is_protocol", False)) and not getattr(
        cls, "_is_runtime_protocol", False
    )


def _is_typed_dict(cls: type) -> bool:
    return isinstance(cls, type) and hasattr(cls, "__total__") and issubclass(cls, dict)


def _conforms_generic(value: object, origin: Any, args: tuple[Any, ...]) -> bool:
    if origin is collections.abc.Callable:
        return callable(value)
    if not isinstance(origin, type):
        return True
    if not _is_instance(value, origin):
        return False
    if not args:
        return True
    if issubclass(origin, tuple):
        return _conforms_tuple(value, args)  # type: ignore[arg-type]
    if issubclass(origin, collections.abc.Mapping) and len(args) == 2:
        items = list(_first(value.items()))  # type: ignore[attr-defined]
        return all(conforms(k, args[0]) and conforms(v, args[1]) for k, v in items)
    if issubclass(origin, (collections.abc.Sequence, collections.abc.Set)) and len(args) == 1:
        if isinstance(value, (str, bytes, bytearray, memoryview)):
            return True
        return all(conforms(item, args[0]) for item in _first(value))  # type: ignore[arg-type]
    return True  # an iterator, a generator, an awaitable: checking would consume it


def _conforms_tuple(value: tuple[object, ...], args: tuple[Any, ...]) -> bool:
    if len(args) == 2 and args[1] is Ellipsis:
        return all(conforms(item, args[0]) for item in _first(value))
    if args == ((),):  # tuple[()]
        return len(value) == 0
    same_length = len(value) == len(args)  # zip's strict= is not in Python 3.9
    return same_length and all(conforms(v, a) for v, a in zip(value, args))  # noqa: B905


def _first(values: collections.abc.Iterable[Any]) -> collections.abc.Iterator[Any]:
    for index, value in enumerate(values):
        if index >= _ELEMENTS_CHECKED:
            return
        yield value


def _shown(value: object) -> str:
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not hide the mismatch
        text = "<unprintable>"
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _hint_text(hint: object) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")


def checked(function: Callable[..., Any], name: str) -> Callable[..., Any] | None:
    """`function` wrapped so that its results are checked; None when there is nothing to check
    (no return annotation, one that cannot be resolved, a generator or coroutine function)."""
    if inspect.isgeneratorfunction(function) or inspect.iscoroutinefunction(function):
        return None
    if inspect.isasyncgenfunction(function):
        return None
    try:
        hints = typing.get_type_hints(function, include_extras=True)
    except Exception:  # a forward reference or a name only a type checker sees
        return None
    if "return" not in hints:
        return None
    hint = hints["return"]

    @functools.wraps(function)
    def returns_checked(*args: Any, **kwargs: Any) -> Any:
        value = function(*args, **kwargs)
        if not conforms(value, hint):
            raise ReturnTypeMismatch(
                f"{name}() returned {type(value).__name__} {_shown(value)}, "
                f"but its return annotation is {_hint_text(hint)}"
            )
        return value

    return returns_checked


def _wrap(target: str) -> None:
    """Wrap the function or method `module:qualname` where the package and the tests hold it."""
    module_name, _, qualname = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except BaseException:  # the tests report a module that does not import
        return
    *owners, name = qualname.split(".")
    holder: Any = module
    for owner in owners:
        holder = getattr(holder, owner, None)
    if holder is None:
        return
    raw = inspect.getattr_static(holder, name, None)
    if isinstance(raw, (staticmethod, classmethod)):
        wrapped = checked(raw.__func__, qualname)
        if wrapped is not None:
            setattr(holder, name, type(raw)(wrapped))
        return
    if not inspect.isfunction(raw):
        return  # a property, a descriptor, a callable object: left to the tests
    wrapped = checked(raw, qualname)
    if wrapped is None:
        return
    setattr(holder, name, wrapped)
    if not owners:
        _rebind(raw, wrapped)


def _rebind(original: object, wrapped: object) -> None:
    """Point every name bound to `original` in the run's own modules at `wrapped`: tests import
    functions by name (`from pkg.mod import f`), packages re-export them."""
    here = os.getcwd() + os.sep
    for module in list(sys.modules.values()):
        if not (getattr(module, "__file__", None) or "").startswith(here):
            continue
        namespace = vars(module)
        for key, bound in list(namespace.items()):
            if bound is original:
                namespace[key] = wrapped


def pytest_addoption(parser: Any) -> None:
    parser.addoption(_OPTION, action="append", default=[], help="module:qualname to check")


def pytest_collection_modifyitems(session: Any, config: Any, items: Any) -> None:
    targets = config.getoption(_OPTION)
    if targets:
        # Every checked call is two frames deep instead of one: a recursive body keeps its depth.
        sys.setrecursionlimit(2 * sys.getrecursionlimit())
    for target in targets:
        _wrap(target)
