"""Generates ketenpoort_client/_pb from the repository's protos before setuptools looks for
the packages, so that every build — `pip install ./client-sdk/python` on a fresh clone, a
wheel, an sdist — carries code generated from ../../proto. All metadata is in
pyproject.toml; grpcio-tools is a build requirement there, so pip installs it into the
build environment before this file runs.

Built from an sdist (no ../../proto beside it), the code generated into the sdist is used
as it is."""

import sys
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
PROTO = HERE.parent.parent / "proto" / "ketenpoort" / "v1" / "gateway.proto"
GENERATED = HERE / "ketenpoort_client" / "_pb" / "ketenpoort" / "v1" / "gateway_pb2.py"

if PROTO.is_file():
    sys.path.insert(0, str(HERE))
    import generate  # noqa: E402  (beside this file; needs grpcio-tools)

    generate.generate()
elif not GENERATED.is_file():
    raise SystemExit(
        f"setup.py: neither {PROTO} (a checkout of the repository) nor generated code in "
        f"{GENERATED.parent} (an sdist): nothing to build the gRPC code from"
    )

setup()
