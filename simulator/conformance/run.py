#!/usr/bin/env python3
"""Checks ketenpoort-sim against VECOZO's own OpenAPI files with schemathesis.

Starts a standalone `ketenpoort-sim serve` on a free loopback port (it generates its PKI on
first start) and runs `st run` over mutual TLS, with a provider's generated client certificate,
for each of VECOZO's four files (REST push v1, REST pull v1, berichtstatus REST pull v2 and v3):
all checks, a fixed seed, a bounded number of examples per operation, every phase (examples,
coverage, fuzzing, stateful). Then a stateful run over the three current APIs together, whose
links chain push -> status -> search/listing -> payload -> confirmation (schemathesis_hooks.py).
Before the runs it puts answers of the municipality bot in the provider's pull queue, so the
payload download and the confirmation have messages to work on.

A schemathesis failure fails the run unless an entry of expected.toml matches it exactly; the
files are read from ../shared/standards/vecozo beside the repository (or
$KETENPOORT_STANDARDS_DIR/vecozo) and never copied. Without them the check is skipped, unless
KETENPOORT_REQUIRE_STANDARDS=1.

Usage: python3 simulator/conformance/run.py --sim target/debug/ketenpoort-sim [--examples N]
(with schemathesis installed: `.ci/sim-conformance` makes the venv).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11: schemathesis depends on tomli there
    import tomli as tomllib
from collections import Counter
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PROVIDER = "12345678"

# name, file, base path of the API on the simulator
SPECS = [
    ("push-v1", "vsp-koppeling-berichtuitwisseling-rest-push-v1.json", "/berichtenservice/berichten/rest-push/v1"),
    ("pull-v1", "vsp-koppeling-berichtuitwisseling-rest-pull-v1.json", "/berichtenservice/berichten/rest-pull/v1"),
    ("status-v3", "vsp-koppeling-berichtstatus-rest-pull-v3.json", "/berichtenservice/berichtstatus/rest-pull/v3"),
    ("status-v2", "vsp-koppeling-berichtstatus-rest-pull-v2.json", "/berichtenservice/berichtstatus/rest-pull/v2"),
]
LISTENING = re.compile(r"https://(127\.0\.0\.1:\d+)/berichtenservice")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def specs_dir() -> Path | None:
    root = os.environ.get("KETENPOORT_STANDARDS_DIR")
    directory = Path(root) / "vecozo" if root else REPO.parent / "shared" / "standards" / "vecozo"
    return directory if all((directory / f).is_file() for _, f, _ in SPECS) else None


def start_simulator(binary: Path, work: Path) -> tuple[subprocess.Popen, str]:
    """Starts the simulator on 127.0.0.1:0; returns the process and its host:port."""
    log = open(work / "sim.log", "w+", encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen(
        [str(binary), "serve", "--listen", "127.0.0.1:0", "--pki", str(work / "pki")],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        log.seek(0)
        found = LISTENING.search(ANSI.sub("", log.read()))
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            log.seek(0)
            sys.exit(f"ketenpoort-sim exited before listening:\n{log.read()}")
        time.sleep(0.1)
    process.kill()
    sys.exit("ketenpoort-sim did not listen within 60 s")


class Client:
    """A provider's mutual-TLS session with the simulator."""

    def __init__(self, origin: str, pki: Path):
        self.origin = origin
        self.session = requests.Session()
        # Only the simulator's CA: REQUESTS_CA_BUNDLE and proxies from the environment would
        # override it.
        self.session.trust_env = False
        self.session.verify = str(pki / "ca.pem")
        self.session.cert = (str(pki / "clients" / f"{PROVIDER}.pem"), str(pki / "clients" / f"{PROVIDER}-key.pem"))

    def push_315(self, payload: bytes) -> None:
        metadata = {
            "routeringgegevens": {
                "afzender": {"rol": "Instelling", "code": PROVIDER},
                "geadresseerden": [{"rol": "Gemeente", "code": "0268"}],
                "berichtstroom": {
                    "berichttype": "JW",
                    "berichtsubtype": "JW315",
                    "berichtversie": 3,
                    "berichtsubversie": 2,
                    "actie": "VerzoekToewijzing",
                },
            },
            "referentiegegevens": {"conversatieId": str(uuid.uuid4()), "traceerId": str(uuid.uuid4())},
        }
        r = self.session.post(
            f"{self.origin}/berichtenservice/berichten/rest-push/v1/berichten",
            files={
                "berichtMetadata": (None, json.dumps(metadata), "application/json"),
                "payload": ("payload.xml", payload, "application/octet-stream"),
            },
        )
        if r.status_code != 204:
            sys.exit(f"seeding: push answered {r.status_code}: {r.text}")

    def advance(self, seconds: int) -> None:
        r = self.session.post(f"{self.origin}/admin/v1/klok", json={"vooruitSeconden": seconds})
        r.raise_for_status()

    def ready(self) -> int:
        r = self.session.get(f"{self.origin}/berichtenservice/berichten/rest-pull/v1/berichten")
        r.raise_for_status()
        return len(r.json())


def with_identificatie(template: bytes, identificatie: str) -> bytes:
    return re.sub(
        rb"(<ijw:Identificatie>)[^<]*(</ijw:Identificatie>)",
        rb"\g<1>" + identificatie.encode() + rb"\g<2>",
        template,
        count=1,
    )


def seed(client: Client, template: bytes, count: int, first: int = 0) -> int:
    """Pushes `count` JW315s and lets a simulated week pass, so that the municipality bot's
    316s and 301s wait in the provider's pull queue; returns how many are ready."""
    for n in range(first, first + count):
        client.push_315(with_identificatie(template, f"SEED{n:05d}"))
    client.advance(7 * 24 * 3600)
    ready = client.ready()
    if ready == 0:
        sys.exit("seeding: the municipality bot's answers are not in the pull queue")
    return ready


def schemathesis(args: list[str], env: dict, work: Path, name: str) -> tuple[int, dict]:
    """Runs `st` with `args`; returns its exit code and its JSON report."""
    report = work / f"{name}.json"
    st = Path(sys.executable).with_name("st")
    command = [
        str(st),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "--no-color",
        "run",
        *args,
        "--report",
        "json,har",
        "--report-json-path",
        str(report),
        "--report-har-path",
        str(work / f"{name}.har"),
        "--generation-database",
        "none",
    ]
    print(f"\n==> {name}: st run {' '.join(args[:1])} …", flush=True)
    result = subprocess.run(command, env=env, cwd=work, text=True, capture_output=True)
    output = result.stdout + result.stderr
    # The failures (if any) and the summary; the progress lines before them are noise.
    start = output.find("=====")
    print(output[start:] if start >= 0 else output, flush=True)
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    return result.returncode, data


# The steps of the keten run's chain, each of which must have succeeded at least once.
CHAIN = [
    ("POST", "/berichtenservice/berichten/rest-push/v1/berichten", 204),
    ("GET", "/berichtenservice/berichtstatus/rest-pull/v3/berichtstatussen", 200),
    ("POST", "/berichtenservice/berichten/rest-pull/v1/berichten/zoeken", 200),
    ("GET", "/berichtenservice/berichten/rest-pull/v1/berichten", 200),
    ("GET", "/berichtenservice/berichten/rest-pull/v1/berichten/{id}/payload", 200),
    ("DELETE", "/berichtenservice/berichten/rest-pull/v1/berichten/{id}", 202),
]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def requests_made(har: Path) -> Counter:
    """(method, path with UUIDs as {id}, status) -> count, from a HAR report."""
    try:
        entries = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    except (OSError, ValueError, KeyError):
        return Counter()
    made: Counter = Counter()
    for entry in entries:
        url = entry["request"]["url"].split("?")[0]
        path = UUID.sub("{id}", "/" + url.split("/", 3)[3])
        made[(entry["request"]["method"], path, entry["response"]["status"])] += 1
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sim", type=Path, default=REPO / "target" / "debug" / "ketenpoort-sim")
    parser.add_argument("--examples", type=int, default=50, help="maximum examples per operation (default 50)")
    parser.add_argument("--seed", type=int, default=19, help="schemathesis seed (default 19)")
    parser.add_argument("--seed-messages", type=int, default=12, help="JW315s pushed before the runs (default 12)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (PKI, logs, reports)")
    options = parser.parse_args()

    directory = specs_dir()
    if directory is None:
        message = "VECOZO's OpenAPI files not found (../shared/standards/vecozo or $KETENPOORT_STANDARDS_DIR/vecozo)"
        if os.environ.get("KETENPOORT_REQUIRE_STANDARDS") == "1":
            print(f"error: {message}", file=sys.stderr)
            return 1
        print(f"skipped: {message}")
        return 0

    work = Path(tempfile.mkdtemp(prefix="sim-conformance-"))
    process, address = start_simulator(options.sim.resolve(), work)
    origin = f"https://localhost:{address.split(':')[1]}"
    pki = work / "pki"
    template = (REPO / "simulator" / "examples" / "JW315.xml").read_bytes()
    payload_file = work / "JW315.xml"
    payload_file.write_bytes(template)
    tally = work / "expected-tally.jsonl"
    tally.touch()
    codes: dict[str, int] = {}
    reports: dict[str, dict] = {}
    try:
        client = Client(origin, pki)
        ready = seed(client, template, options.seed_messages)
        print(f"simulator at {origin}; {ready} messages ready in {PROVIDER}'s pull queue", flush=True)
        common = [
            "--checks",
            "all",
            "--seed",
            str(options.seed),
            "--max-examples",
            str(options.examples),
            "--continue-on-failure",
            # A connection the loaded CI machine drops is retried; a request that breaks the
            # simulator still fails after the retries.
            "--request-retries",
            "2",
            "--tls-verify",
            str(pki / "ca.pem"),
            "--request-cert",
            str(pki / "clients" / f"{PROVIDER}.pem"),
            "--request-cert-key",
            str(pki / "clients" / f"{PROVIDER}-key.pem"),
        ]
        base_env = {
            **os.environ,
            "NO_COLOR": "1",
            # No __pycache__ beside the hooks in the repository.
            "PYTHONDONTWRITEBYTECODE": "1",
            "SCHEMATHESIS_HOOKS": str(HERE / "schemathesis_hooks.py"),
            "KETENPOORT_CONFORMANCE_EXPECTED": str(HERE / "expected.toml"),
            "KETENPOORT_CONFORMANCE_TALLY": str(tally),
            "KETENPOORT_VECOZO_DIR": str(directory),
            "KETENPOORT_CONFORMANCE_PAYLOAD": str(payload_file),
        }
        for name, file, base in SPECS:
            env = {**base_env, "KETENPOORT_CONFORMANCE_RUN": name}
            codes[name], reports[name] = schemathesis(
                [str(directory / file), "--url", origin + base, *common], env, work, name
            )
        # The pull run confirmed (DELETE) messages of the queue: refill it for the chain.
        seed(client, template, options.seed_messages, first=options.seed_messages)
        env = {**base_env, "KETENPOORT_CONFORMANCE_RUN": "keten"}
        codes["keten"], reports["keten"] = schemathesis(
            [
                str(directory / SPECS[0][1]),
                "--url",
                origin + "/berichtenservice",
                "--phases",
                "stateful",
                "--mode",
                "positive",
                *common,
            ],
            env,
            work,
            "keten",
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()

    dropped = Counter(
        (line["run"], line["id"]) for line in map(json.loads, tally.read_text(encoding="utf-8").splitlines())
    )
    print("\n==> ketenpoort-sim against VECOZO's OpenAPI files")
    unexpected_total = 0
    for name, code in codes.items():
        report = reports.get(name, {})
        cases = report.get("test_cases", {})
        unexpected = len(report.get("failures", [])) + len(report.get("errors", []))
        expected = {entry: n for (run, entry), n in dropped.items() if run == name}
        verdict = "ok" if code == 0 else f"FAILED (st exit code {code})"
        unexpected_total += unexpected if unexpected else (0 if code == 0 else 1)
        print(
            f"  {name:10} {verdict}: {cases.get('generated', '?')} test cases, "
            f"{unexpected} unexpected failures or errors; "
            f"expected.toml entries matched: {expected or 'none'}"
        )
    matching = [
        (entry["id"], entry["match"]["runs"])
        for entry in tomllib.loads((HERE / "expected.toml").read_text(encoding="utf-8"))["deliberate"]
        if "match" in entry
    ]
    unseen = [entry for entry, runs in matching if not any((run, entry) in dropped for run in runs)]
    if unseen:
        print(f"  expected.toml entries this run did not provoke: {', '.join(unseen)}")
    print("\n==> requests of the keten run (stateful: push -> status -> pull -> payload -> DELETE)")
    made = requests_made(work / "keten.har")
    for (method, path, status), n in sorted(made.items()):
        print(f"  {n:4} × {method:6} {path} -> {status}")
    missing = [step for step in CHAIN if made[step] == 0]
    for method, path, status in missing:
        print(f"  the chain never reached {method} {path} -> {status}", file=sys.stderr)
    unexpected_total += len(missing)
    if unexpected_total:
        log = (work / "sim.log").read_text(encoding="utf-8", errors="replace").splitlines()
        notable = [line for line in log if re.search(r"WARN|ERROR|handshake|connection|panicked", line)]
        if notable:
            print("\n==> what the simulator logged about connections and errors")
            print("\n".join(notable[-40:]))
    if options.keep:
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    if unexpected_total:
        print(f"unexpected: {unexpected_total} (failed runs and chain steps never reached)", file=sys.stderr)
        return 1
    print(f"all {len(codes)} runs: 0 unexpected failures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
