"""The README's configuration reference is the one generated from the schema."""
from pathlib import Path

from regolith_sim.config.reference import reference_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_config_reference_is_current():
    text = README.read_text()
    start = text.index("<!-- config-reference:start -->") + len("<!-- config-reference:start -->")
    end = text.index("<!-- config-reference:end -->")
    assert text[start:end].strip() == reference_markdown().strip(), \
        "README is stale: run `python -m regolith_sim config-reference --write-readme`"
