"""docs/particles.md's particle case-file reference is the one generated from the schema, and the
command that rewrites it touches only the marked block."""
import subprocess
import sys
from pathlib import Path

import pytest

from regolith_sim.config.reference import marked_block, replace_marked_block
from regolith_sim.errors import UserError
from regolith_sim.particles.config import reference_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "particles.md"


def test_particles_reference_in_docs_is_current():
    assert marked_block(DOC, "particles-reference") == reference_markdown().strip(), \
        "docs/particles.md is stale: run `regolith-sim particles reference --write-docs` from the repository root"


def test_replace_marked_block_keeps_the_rest(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n\nintro\n<!-- x:start -->\nold\n<!-- x:end -->\n\nafter\n")
    replace_marked_block(doc, "x", "new\nlines\n")
    assert doc.read_text() == "# Title\n\nintro\n<!-- x:start -->\nnew\nlines\n<!-- x:end -->\n\nafter\n"
    assert marked_block(doc, "x") == "new\nlines"
    doc.write_text("<!-- x:end -->\n<!-- x:start -->\n")
    with pytest.raises(UserError, match="must hold '<!-- x:start -->' once and then '<!-- x:end -->' once"):
        replace_marked_block(doc, "x", "new")
    assert doc.read_text() == "<!-- x:end -->\n<!-- x:start -->\n"  # left as it was


def test_write_docs_command_refreshes_a_stale_block(tmp_path):
    (tmp_path / "docs").mkdir()
    stale = DOC.read_text().replace("| `particles.seed` |", "| `particles.old_seed` |")
    assert stale != DOC.read_text()
    (tmp_path / "docs" / "particles.md").write_text(stale)
    run = subprocess.run([sys.executable, "-m", "regolith_sim", "particles", "reference", "--write-docs"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    fresh = tmp_path / "docs" / "particles.md"
    assert marked_block(fresh, "particles-reference") == reference_markdown().strip()
    assert _outside_block(fresh.read_text()) == _outside_block(stale)


def _outside_block(text: str) -> str:
    return text[:text.index("<!-- particles-reference:start -->")] + text[text.index("<!-- particles-reference:end"):]


def test_recorded_repose_verdicts_are_the_ones_the_docs_quote():
    """The validate table of docs/particles.md quotes each repose check's recorded verdict as it stands in
    data/granular_reference.toml (the verdict a check must reach to pass)."""
    from regolith_sim.particles.reference import reference

    r = reference()["repose"]
    rows = {line.split("|")[1].strip(): line for line in DOC.read_text().splitlines()
            if line.startswith("| angle of repose at") or line.startswith("| repose shift")}
    for row, key in (("angle of repose at 1 g", "expected_verdict_1g"),
                     ("angle of repose at 1.62 m/s^2", "expected_verdict_lunar"),
                     ("repose shift 1 g -> lunar g", "expected_verdict_shift")):
        assert f"(recorded: '{r[key]}')" in rows[row], (row, r[key])
