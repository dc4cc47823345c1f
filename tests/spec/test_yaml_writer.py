"""filler.spec.yaml_writer: the commented YAML `filler plan` writes loads back to the same spec."""

from __future__ import annotations

import pytest
import yaml

from filler.spec.model import Spec, load_spec
from filler.spec.yaml_writer import commented_yaml
from tests.helpers.projects import CHECKOUT


@pytest.mark.parametrize("name", ["strkit", "textkit"])
def test_the_written_yaml_loads_back_to_the_same_spec(name: str) -> None:
    spec = load_spec(CHECKOUT / "examples" / "specs" / f"{name}.yml")
    text = commented_yaml(spec, idea="two\nlines", model="groq/m", path="out/spec.yml")
    assert Spec.model_validate(yaml.safe_load(text)) == spec
    assert text.startswith(
        "# Drafted by `filler plan` with groq/m from the idea:\n#   two\n#   lines\n"
    )
    assert f"#   filler new out/spec.yml {name}\n" in text
