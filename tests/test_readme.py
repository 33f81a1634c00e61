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


def test_readme_summary_keys_are_the_documented_ones():
    from regolith_sim.simulation.result import summary_keys_markdown

    assert summary_keys_markdown() in README.read_text(), \
        "README's summary-key table is stale: paste regolith_sim.simulation.result.summary_keys_markdown()"
