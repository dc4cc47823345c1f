"""filler.readme: the README's features table and usage sections follow the spec and the demos."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from filler.project import load_project
from filler.readme import demo_code, sync_project_readme, sync_readme
from filler.spec.model import validate_spec
from filler.spec.views import FeatureView, build_view
from tests.helpers.projects import CHECKOUT, render, template_copy

SPEC: dict[str, Any] = {
    "package_name": "mathkit",
    "description": "Small maths.",
    "features": [
        {
            "name": "arith",
            "description": "Arithmetic | on ints.\n\nMore words here.",
            "functions": [
                {
                    "name": "add",
                    "params": "a: int, b: int",
                    "returns": "int",
                    "doc": "Add.",
                    "examples": [{"call": "add(1, 2)", "expect": 3}],
                }
            ],
        },
        {
            "name": "text",
            "description": "Strings.",
            "functions": [
                {
                    "name": "shout",
                    "params": "s: str",
                    "returns": "str",
                    "doc": "Upper-case s.",
                    "examples": [{"call": "shout('a')", "expect": "'A'"}],
                }
            ],
        },
    ],
}

STUB_DEMO = '''"""Demo of mathkit.arith: Arithmetic."""


def main() -> None:
    """Show add at work on small inputs, printing each result."""
    raise NotImplementedError


if __name__ == "__main__":
    main()
'''

FILLED_DEMO = '''"""Demo of mathkit.arith: Arithmetic."""

from mathkit import add


def _show(label: str, value: int) -> None:
    print(label, value)


def main() -> None:
    """Show add at work on small inputs, printing each result."""
    # two small sums
    _show("1 + 2 =", add(1, 2))
    for n in range(2):
        _show("n + n =", add(n, n))


if __name__ == "__main__":
    main()
'''

README = """# mathkit

Intro the user wrote.

<!-- filler:features -->
| stale | table |
<!-- /filler:features -->

Text between the blocks.

<!-- filler:usage -->
old usage
<!-- /filler:usage -->

Footer the user wrote.
"""


def features(data: dict[str, Any] = SPEC) -> tuple[FeatureView, ...]:
    return build_view(validate_spec(data)).features


def test_the_features_table_is_rebuilt_from_the_spec_and_nothing_else_changes() -> None:
    synced = sync_readme(README, features(), {})
    assert synced.startswith("# mathkit\n\nIntro the user wrote.\n\n<!-- filler:features -->\n")
    assert synced.endswith("<!-- /filler:usage -->\n\nFooter the user wrote.\n")
    assert "\nText between the blocks.\n" in synced
    assert "| stale | table |" not in synced and "old usage" not in synced
    assert (
        "\n| Module | What it does | Demo |\n| --- | --- | --- |\n"
        "| [`mathkit.arith`](src/mathkit/arith.py) | Arithmetic \\| on ints. "
        "| [`examples/arith_demo.py`](examples/arith_demo.py) |\n"
        "| [`mathkit.text`](src/mathkit/text.py) | Strings. "
        "| [`examples/text_demo.py`](examples/text_demo.py) |\n\n<!-- /filler:features -->"
    ) in synced


def test_a_spec_change_shows_in_the_table() -> None:
    changed = copy.deepcopy(SPEC)
    changed["features"][1]["description"] = "String helpers, louder."
    del changed["features"][0]
    table = sync_readme(sync_readme(README, features(), {}), features(changed), {})
    assert "mathkit.arith" not in table
    assert "| [`mathkit.text`](src/mathkit/text.py) | String helpers, louder. |" in table


def test_a_filled_demo_shows_its_code_and_a_stub_demo_says_it_is_not_written() -> None:
    synced = sync_readme(README, features(), {"arith": FILLED_DEMO, "text": STUB_DEMO})
    usage = synced.split("<!-- filler:usage -->\n")[1].split("<!-- /filler:usage -->")[0]
    assert usage == textwrap.dedent(
        """
        ### `mathkit.arith`

        ```python
        from mathkit import add

        def _show(label: str, value: int) -> None:
            print(label, value)

        # two small sums
        _show("1 + 2 =", add(1, 2))
        for n in range(2):
            _show("n + n =", add(n, n))
        ```

        Run it with `python examples/arith_demo.py`.

        ### `mathkit.text`

        `examples/text_demo.py` shows it at work once `filler fill` has written the demo.

        """
    )


def test_a_demo_printing_a_code_fence_gets_a_longer_fence() -> None:
    demo = FILLED_DEMO.replace('"1 + 2 ="', '"```"')
    synced = sync_readme(README, features(), {"arith": demo})
    assert "````python\nfrom mathkit import add\n" in synced
    assert '_show("```", add(1, 2))\n' in synced and "\n````\n\nRun it with" in synced


def test_syncing_twice_changes_nothing_more() -> None:
    demos = {"arith": FILLED_DEMO}
    once = sync_readme(README, features(), demos)
    assert sync_readme(once, features(), demos) == once


def test_a_readme_without_markers_is_left_alone() -> None:
    mine = "# mathkit\n\nI rewrote all of this.\n"
    assert sync_readme(mine, features(), {"arith": FILLED_DEMO}) == mine


@pytest.mark.parametrize(
    "source",
    [STUB_DEMO, STUB_DEMO.replace("NotImplementedError", "NotImplementedError()"), "def main(:\n"],
    ids=["stub", "stub call", "syntax error"],
)
def test_demo_code_is_none_until_main_is_filled(source: str) -> None:
    assert demo_code(source, "arith") is None


def test_demo_code_without_a_docstring_keeps_every_statement() -> None:
    source = "def main() -> None:\n    print(1)\n    print(2)\n"
    assert demo_code(source, "arith") == "print(1)\nprint(2)\n"


# --- on a project rendered by the real Copier ----------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_copy(tmp_path_factory.mktemp("template"))


@pytest.mark.slow
def test_a_rendered_project_is_in_sync_and_follows_its_demos_and_answers(
    template: Path, tmp_path: Path
) -> None:
    project = render(
        CHECKOUT / "examples" / "specs" / "strkit.yml", tmp_path / "p", template=template
    )
    readme = project / "README.md"
    rendered = readme.read_text("utf-8")
    assert "<!-- filler:features -->" in rendered and "<!-- filler:usage -->" in rendered
    assert not sync_project_readme(load_project(project))  # the template's own text
    assert readme.read_text("utf-8") == rendered

    demo = project / "examples" / "text_demo.py"
    demo.write_text(
        demo.read_text("utf-8").replace(
            "    raise NotImplementedError\n",
            "    from strkit import reverse\n\n    print(reverse('abc'))\n",
        ),
        "utf-8",
    )
    assert sync_project_readme(load_project(project))
    assert (
        "```python\nfrom strkit import reverse\n\nprint(reverse('abc'))\n```"
        in readme.read_text("utf-8")
    )
    assert not sync_project_readme(load_project(project))

    answers_path = project / ".copier-answers.yml"
    answers = yaml.safe_load(answers_path.read_text("utf-8"))
    answers["features"][0]["description"] = "Sums, parity and temperatures."
    answers_path.write_text(yaml.safe_dump(answers, sort_keys=False), "utf-8")
    assert sync_project_readme(load_project(project))
    assert "| [`strkit.arith`](src/strkit/arith.py) | Sums, parity and temperatures. |" in (
        readme.read_text("utf-8")
    )

    # Answers a person broke (no feature list) leave the README as it is, and the fill's last
    # step does not fail on them.
    answers["features"] = "arith"
    answers_path.write_text(yaml.safe_dump(answers, sort_keys=False), "utf-8")
    before = readme.read_text("utf-8")
    assert not sync_project_readme(load_project(project))
    assert readme.read_text("utf-8") == before
