"""Runs generate.py before the build, so wheels carry code generated from ../../proto.
All metadata is in pyproject.toml."""

import os
import sys

from setuptools import setup
from setuptools.command.build_py import build_py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


class GenerateThenBuild(build_py):
    """build_py after generating ketenpoort_client/_pb from the protos."""

    def run(self) -> None:
        import generate

        generate.generate()
        super().run()


setup(cmdclass={"build_py": GenerateThenBuild})
