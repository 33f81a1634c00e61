"""The example cases ship inside the package (regolith_sim.examples, mapped from the top-level examples/),
so `regolith-sim demo`, `validate` and `examples` work from an installed wheel, not only from a checkout."""
import filecmp
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from regolith_sim.config.loader import read_toml
from regolith_sim.errors import ConfigError, UserError
from regolith_sim.example_cases import describe, example_path, examples_dir, shipped_files

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
#: What a build needs from the checkout (copied, so the build leaves no build/ or egg-info in the tree).
SOURCES = ["pyproject.toml", "README.md", "regolith_sim", "gpu_kernels", "geometries", "examples"]
#: Files of the package folders that belong in the wheel.
SHIPPED = ("*.py", "*.toml", "*.csv", "py.typed")


def tree_files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for pattern in SHIPPED for p in folder.rglob(pattern)
            if "__pycache__" not in p.parts}


def cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "regolith_sim", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Build the wheel the way `pip install .` would, from a copy of the checkout; return (wheel, build log)."""
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheel")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
                            "--no-index", "-w", str(out), str(src)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (whl,) = out.glob("regolith_sim-*.whl")
    return whl, build.stdout + build.stderr


def test_wheel_holds_every_example_and_module(wheel):
    whl, log = wheel
    names = set(zipfile.ZipFile(whl).namelist())
    assert {"regolith_sim/examples/change8_brick.toml", "regolith_sim/examples/laser_track_path.csv"} <= names
    verification = sorted(p.name for p in (EXAMPLES / "verification").glob("*.toml"))
    assert len(verification) >= 10
    assert {f"regolith_sim/examples/verification/{n}" for n in verification} <= names
    # The package list in pyproject.toml is explicit: a sub-package or data file missing from it shows here.
    expected = {f"regolith_sim/examples/{n}" for n in tree_files(EXAMPLES)}
    for pkg in ("regolith_sim", "gpu_kernels", "geometries"):
        expected |= {f"{pkg}/{n}" for n in tree_files(ROOT / pkg)}
    assert not expected - names, f"missing from the wheel: {sorted(expected - names)[:10]}"
    metadata = zipfile.ZipFile(whl).read(f"{whl.name.split('-py3')[0]}.dist-info/METADATA").decode()
    assert "License-Expression: BSD-3-Clause" in metadata  # SPDX form (PEP 639), not the deprecated table
    assert "project.license` as a TOML table is deprecated" not in log


def test_installed_wheel_finds_its_own_examples(wheel, tmp_path):
    """A non-editable install: the helper and `regolith-sim examples` use the installed copy, not the checkout."""
    whl, _ = wheel
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--no-compile",
                    "--target", str(site), str(whl)], check=True, capture_output=True, timeout=120)
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run([sys.executable, "-c", "from regolith_sim.example_cases import examples_dir, example_path;"
                            "print(examples_dir()); print(example_path('change8_brick'))"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert probe.returncode == 0, probe.stderr
    folder, demo = (Path(line) for line in probe.stdout.split())
    assert folder == site / "regolith_sim" / "examples" and demo.is_file()
    assert filecmp.cmp(demo, EXAMPLES / "change8_brick.toml", shallow=False)
    listing = cli("examples", cwd=tmp_path, env=env)
    assert listing.returncode == 0, listing.stderr
    assert "verification/rosenthal.toml" in listing.stdout


def test_helper_finds_the_demo_case_and_every_verification_file():
    from regolith_sim.cli.demo import DEMO_CASE
    from regolith_sim.verification import load_verification_case

    assert example_path(DEMO_CASE).samefile(EXAMPLES / "change8_brick.toml")
    assert example_path("change8_brick.toml") == example_path(DEMO_CASE)
    assert examples_dir().samefile(EXAMPLES)  # editable install or checkout: the one copy in examples/
    files = sorted((EXAMPLES / "verification").glob("*.toml"))
    assert files
    for f in files:
        found = example_path(f"verification/{f.stem}")
        assert found.samefile(f)
        kind, _ = load_verification_case(found)
        assert kind == read_toml(f)["kind"]
    on_disk = {p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*") if p.suffix in (".toml", ".csv")}
    assert set(shipped_files()) == on_disk


def test_examples_lists_every_case_with_its_description():
    run = cli("examples")
    assert run.returncode == 0, run.stderr
    lines = {line.split()[0]: line for line in run.stdout.splitlines() if line.strip()}
    for case in EXAMPLES.rglob("*.toml"):
        rel = case.relative_to(EXAMPLES).as_posix()
        assert rel in lines, f"{rel} not listed"
        assert describe(case) in lines[rel]
    # The description key when the case has one, else the first comment sentence, else the kind.
    demo = read_toml(EXAMPLES / "change8_brick.toml")["description"]
    assert demo in lines["change8_brick.toml"]
    assert "Quasi-steady moving point source (Rosenthal 1946)." in lines["verification/rosenthal.toml"]
    # an abbreviation's full stop ends no sentence: "Gupta et al. (2024): ..." is not cut to "Gupta et al."
    assert all(not describe(c).endswith(" al.") for c in EXAMPLES.rglob("*.toml"))
    assert describe(EXAMPLES / "experiments" / "furnace-gupta2024-lhs1.toml").startswith("Gupta et al. (2024): ")
    assert "(Carslaw & Jaeger 1959, Sec. 2.4) integrated by ..." in lines["verification/implicit-step-temperature.toml"]
    assert "verification case 'energy-balance'" in lines["verification/energy-balance.toml"]


def test_examples_copy_copies_and_refuses_to_overwrite(tmp_path):
    dest = tmp_path / "my-cases"
    run = cli("examples", "copy", str(dest))
    assert run.returncode == 0, run.stderr
    for rel in shipped_files():
        assert filecmp.cmp(dest / rel, EXAMPLES / rel, shallow=False), rel
    # a copied case still finds the machine log it reads (a path relative to the case file)
    plan = cli("plan", str(dest / "laser_track.toml"), "--out", str(tmp_path / "plan"))
    assert plan.returncode == 0, plan.stderr

    edited = dest / "change8_brick.toml"
    edited.write_text("# my edits\n")
    again = cli("examples", "copy", str(dest))
    assert again.returncode == 2
    assert "already exist" in again.stderr and "--force" in again.stderr and "Traceback" not in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    assert edited.read_text() == "# my edits\n"  # nothing copied

    forced = cli("examples", "copy", str(dest), "--force")
    assert forced.returncode == 0, forced.stderr
    assert filecmp.cmp(edited, EXAMPLES / "change8_brick.toml", shallow=False)


def test_unknown_case_name_is_one_clear_error():
    with pytest.raises(UserError) as err:
        example_path("change8_brik")
    msg = str(err.value)
    assert "no example case 'change8_brik'" in msg and "did you mean 'change8_brick'" in msg
    assert "verification/rosenthal" in msg and "\n" not in msg


def test_validate_rejects_empty_folder_and_unknown_case(tmp_path):
    from regolith_sim.verification import run_all

    with pytest.raises(ConfigError, match="holds no verification case files"):
        run_all(tmp_path)
    with pytest.raises(ConfigError, match=r"--only: no case nope .*allowed: .*rosenthal"):
        run_all(None, ["nope"])
