"""A few entries of the adversarial benchmark, through the real `filler fill`.

The whole corpus takes many minutes (`make bench-adversarial`); these entries check that the
harness sees what it claims to see: a reference reply is filled with no effect, a wrong body is
refused by its tests, and a write to /tmp without the sandbox is observed and cleaned up.
"""

from __future__ import annotations

import shutil

import pytest

from benchmarks.adversarial.corpus import ENTRIES, Category
from benchmarks.adversarial.run import run

pytestmark = pytest.mark.slow

_NAMES = ("reference add", "plainly wrong", "writes in /tmp")


def test_corpus_is_large_enough_and_named_uniquely() -> None:
    hostile = [e for e in ENTRIES if e.category is not Category.CONTROL]
    assert len(hostile) >= 60
    assert len({e.name for e in ENTRIES}) == len(ENTRIES)


def test_a_few_entries_run_through_filler_fill() -> None:
    entries = [e for e in ENTRIES if e.name in _NAMES]
    modes = ("none", "bwrap") if shutil.which("bwrap") else ("none",)
    results = run(entries, modes)
    rows = {(r["name"], r["mode"]): r for r in results["runs"]}

    for mode in modes:
        reference = rows["reference add", mode]
        assert reference["outcome"] == "filled"
        assert not reference["any_effect"]
        assert reference["filler_peak_mb"] is not None
        wrong = rows["plainly wrong", mode]
        assert wrong["outcome"] == "stub"
        assert not wrong["false_accept"]

    # Without the sandbox, /tmp is the host's: the write is seen (and removed afterwards).
    assert rows["writes in /tmp", "none"]["effects"]["files"]
    if "bwrap" in modes:
        assert not rows["writes in /tmp", "bwrap"]["any_effect"]
