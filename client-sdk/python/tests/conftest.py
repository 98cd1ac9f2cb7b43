"""Starts the real gateway binary in dev mode for the tests: on free ports of 127.0.0.1, with
a temporary data directory, configured through its KETENPOORT_SERVER_* environment
overrides.

The binary is $KETENPOORT_BIN, else target/debug/ketenpoort under $CARGO_TARGET_DIR or the
repository's target/; when none exists, ``cargo build -p ketenpoort`` makes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator, Optional

import pytest

REPO = Path(__file__).resolve().parents[3]


def _binary() -> Path:
    if os.environ.get("KETENPOORT_BIN"):
        return Path(os.environ["KETENPOORT_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    if not target.is_absolute():
        target = REPO / target
    binary = target / "debug" / "ketenpoort"
    if not binary.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "ketenpoort"], cwd=REPO, check=True)
    return binary


class DevGateway:
    """``ketenpoort serve --dev`` as a child process; restartable on the same port and data.

    The first start listens on port 0 and reads the bound addresses from the gateway's
    ``listening on ADDR`` lines: a port picked here and bound later by the gateway could be
    taken in between (by the built-in simulator, by another test's connection), as CI saw.
    """

    def __init__(self, binary: Path, data_dir: Path, as_serve_dev: bool = False) -> None:
        self.binary = binary
        self.data_dir = data_dir
        #: Exactly as `ketenpoort serve --dev` runs (the built-in simulator, cross-message
        #: rules on), but on free ports and a temporary data directory.
        self.as_serve_dev = as_serve_dev
        #: The gRPC and admin ports once the gateway has listened (0 before the first start).
        self.port = 0
        self.admin_port = 0
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.log = data_dir.parent / "gateway.log"

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Starts the gateway; a restart keeps the ports of the first start (the clients'
        target), retrying for a while when the old port is not free yet."""
        deadline = time.monotonic() + 60
        while True:
            error = self._start_once(deadline)
            if error is None:
                return
            if self.port == 0 or "Address already in use" not in error \
                    or time.monotonic() > deadline:
                raise RuntimeError(error)
            time.sleep(0.2)

    def _start_once(self, deadline: float) -> Optional[str]:
        env = dict(os.environ)
        env.update({
            "KETENPOORT_SERVER_GRPC_LISTEN": f"127.0.0.1:{self.port}",
            "KETENPOORT_SERVER_ADMIN_LISTEN": f"127.0.0.1:{self.admin_port}",
            # The operator console of dev mode, off its fixed port 8090.
            "KETENPOORT_CONSOLE_LISTEN": "127.0.0.1:0",
            "KETENPOORT_SERVER_DATA_DIR": str(self.data_dir),
            "RUST_LOG": "warn",
        })
        if not self.as_serve_dev:
            env.update({
                # The loopback stand-in instead of dev mode's simulator. It receives no
                # allocations (301), so the cross-message rules would refuse every
                # 305/307/317/323; these tests are about the SDK, not the rules
                # (gateway/tests/it/cross_rules.rs is).
                "KETENPOORT_VECOZO_MODE": "loopback",
                "KETENPOORT_MESSAGES_CROSS_MESSAGE_RULES": "false",
            })
        # The log is appended to across restarts: read only what this start writes.
        offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([str(self.binary), "serve", "--dev"], env=env,
                                            stdout=log, stderr=log)
        while time.monotonic() < deadline:
            exited = self.process.poll() is not None
            with open(self.log, "rb") as log:
                log.seek(offset)
                lines = log.read().decode(errors="replace").splitlines()
            grpc = [l[len("listening on "):] for l in lines if l.startswith("listening on ")]
            admin = [l[len("admin listening on "):] for l in lines
                     if l.startswith("admin listening on ")]
            if grpc and admin:
                self.port = int(grpc[0].rsplit(":", 1)[1])
                self.admin_port = int(admin[0].rsplit(":", 1)[1])
                return None
            if exited:
                code = self.process.returncode
                self.process = None
                return f"the gateway exited with {code}: " + "\n".join(lines)
            time.sleep(0.05)
        self.stop()
        return "the gateway did not listen within 60 s"

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def ketenpoort_bin() -> Path:
    return _binary()


@pytest.fixture
def gateway(ketenpoort_bin: Path) -> Iterator[DevGateway]:
    with tempfile.TemporaryDirectory(prefix="ketenpoort-py-") as tmp:
        gw = DevGateway(ketenpoort_bin, Path(tmp) / "data")
        gw.start()
        try:
            yield gw
        finally:
            gw.stop()


@pytest.fixture
def serve_dev(ketenpoort_bin: Path) -> Iterator[DevGateway]:
    """The gateway as `ketenpoort serve --dev` runs it (simulator, cross-message rules)."""
    with tempfile.TemporaryDirectory(prefix="ketenpoort-py-") as tmp:
        gw = DevGateway(ketenpoort_bin, Path(tmp) / "data", as_serve_dev=True)
        gw.start()
        try:
            yield gw
        finally:
            gw.stop()
