"""Verification of the solvers against closed-form solutions (`regolith-sim validate`)."""
from .cases import CASES, Check
from .runner import load_verification_case, run_all, run_file

__all__ = ["CASES", "Check", "load_verification_case", "run_all", "run_file"]
