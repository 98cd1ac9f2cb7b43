"""The package builds from a pristine clone of the repository, with nothing generated
beforehand: pip fetches the build requirements (grpcio-tools) itself, and the wheel carries
the generated gRPC code. Needs git and PyPI (as pip install does); skipped outside a git
checkout. It builds the committed HEAD, not uncommitted changes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def test_a_wheel_built_from_a_pristine_clone_contains_the_generated_code() -> None:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout: no pristine clone to build from")
    with tempfile.TemporaryDirectory(prefix="ketenpoort-wheel-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)],
                       check=True)
        package = clone / "client-sdk" / "python"
        assert not (package / "ketenpoort_client" / "_pb").exists(), "nothing generated"
        out = Path(tmp) / "dist"
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                        "--disable-pip-version-check", "-w", str(out), str(package)],
                       check=True)
        (wheel,) = out.glob("ketenpoort_client-*.whl")
        names = set(zipfile.ZipFile(wheel).namelist())
        for generated in ("gateway_pb2.py", "gateway_pb2.pyi", "gateway_pb2_grpc.py"):
            assert f"ketenpoort_client/_pb/ketenpoort/v1/{generated}" in names, sorted(names)
        assert "ketenpoort_client/__init__.py" in names
