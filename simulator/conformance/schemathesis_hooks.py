"""Schemathesis hooks for checking ketenpoort-sim against VECOZO's OpenAPI files (run.py).

VECOZO's files are read as they are (never edited or copied); what the run adds, it adds in
memory through these hooks:

- OpenAPI links, which the files lack, so that the stateful phase chains operations: in the
  pull run listing/search -> payload download -> confirmation (DELETE); in the keten run also
  push -> status -> search/listing -> payload -> confirmation.
- The keten run: one document made of the push, pull and status v3 files (their paths under
  their own base paths, their schemas renamed with a prefix), because links cannot cross files.
  Its pushes are made valid (a registered provider's envelope and a JW315 payload with a fresh
  traceerId and Identificatie), so the ontvangstcontrole accepts them and the chain continues.
- `filter_failure`: drops exactly the failures that an entry of expected.toml matches, and
  records each drop in a tally file that run.py reports.

Environment (set by run.py):
  KETENPOORT_CONFORMANCE_RUN       push-v1, pull-v1, status-v2, status-v3 or keten
  KETENPOORT_CONFORMANCE_EXPECTED  path of expected.toml
  KETENPOORT_CONFORMANCE_TALLY     file to append the dropped failures to (JSON lines)
  KETENPOORT_VECOZO_DIR            directory of VECOZO's OpenAPI files (keten run)
  KETENPOORT_CONFORMANCE_PAYLOAD   a valid JW315 from provider 12345678 to 0268 (keten run)
"""

from __future__ import annotations

import copy
import json
import os
import re
import threading
import uuid
from pathlib import Path

import schemathesis

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11: schemathesis depends on tomli there
    import tomli as tomllib

RUN = os.environ.get("KETENPOORT_CONFORMANCE_RUN", "")
SCHEMA_REF = "#/components/schemas/"

# The APIs of the keten run: name prefix of their schemas, spec file, base path under
# https://HOST:PORT/berichtenservice.
KETEN_APIS = [
    ("Push", "vsp-koppeling-berichtuitwisseling-rest-push-v1.json", "/berichten/rest-push/v1"),
    ("Pull", "vsp-koppeling-berichtuitwisseling-rest-pull-v1.json", "/berichten/rest-pull/v1"),
    ("Status", "vsp-koppeling-berichtstatus-rest-pull-v3.json", "/berichtstatus/rest-pull/v3"),
]

# The envelope of a valid push in the keten run: provider 12345678 of the default scenario to
# municipality 0268, a JW315 (iJw 3.2).
PROVIDER = "12345678"
GEMEENTE = "0268"
ROUTERINGGEGEVENS = {
    "afzender": {"rol": "Instelling", "code": PROVIDER},
    "geadresseerden": [{"rol": "Gemeente", "code": GEMEENTE}],
    "berichtstroom": {
        "berichttype": "JW",
        "berichtsubtype": "JW315",
        "berichtversie": 3,
        "berichtsubversie": 2,
        "actie": "VerzoekToewijzing",
    },
}

PULL_LINKS = {
    # operationId -> status -> links
    "GetBerichten": {
        "200": {
            "Payload": {
                "operationId": "GetPayload",
                "parameters": {"path.traceerId": "$response.body#/0/referentiegegevens/traceerId"},
            },
            "BevestigOntvangst": {
                "operationId": "BevestigOntvangst",
                "parameters": {"path.traceerId": "$response.body#/0/referentiegegevens/traceerId"},
            },
        }
    },
    "ZoekBerichten": {
        "200": {
            "Payload": {
                "operationId": "GetPayload",
                "parameters": {"path.traceerId": "$response.body#/0/referentiegegevens/traceerId"},
            },
            "BevestigOntvangst": {
                "operationId": "BevestigOntvangst",
                "parameters": {"path.traceerId": "$response.body#/0/referentiegegevens/traceerId"},
            },
        }
    },
    "GetPayload": {
        "200": {
            "BevestigOntvangst": {
                "operationId": "BevestigOntvangst",
                "parameters": {"path.traceerId": "$request.path.traceerId"},
            }
        }
    },
}

PUSHED_TRACEER_ID = "$request.body#/berichtMetadata/referentiegegevens/traceerId"
KETEN_LINKS = {
    "PostBericht": {
        "204": {
            "Berichtstatus": {
                "operationId": "ZoekBerichtstatussen",
                "parameters": {"query.traceerId": PUSHED_TRACEER_ID},
            },
            "Antwoorden": {
                "operationId": "ZoekBerichten",
                "requestBody": {"zoekpadType": "ZoekpadOpAlsAntwoordOp", "alsAntwoordOp": PUSHED_TRACEER_ID},
            },
            "Gereed": {"operationId": "GetBerichten", "parameters": {"query.limit": 10}},
        }
    },
    "ZoekBerichtstatussen": {
        "200": {
            "Conversatie": {
                "operationId": "ZoekBerichten",
                "requestBody": {
                    "zoekpadType": "ZoekpadOpConversatieId",
                    "conversatieId": "$response.body#/0/referentiegegevens/conversatieId",
                },
            },
            "Gereed": {"operationId": "GetBerichten", "parameters": {"query.limit": 10}},
        }
    },
}


def _add_links(raw: dict, links: dict) -> None:
    """Adds `links` (operationId -> status -> links) to the operations of `raw`."""
    for item in raw.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for status, named in links.get(operation.get("operationId"), {}).items():
                response = operation.setdefault("responses", {}).setdefault(status, {"description": status})
                response.setdefault("links", {}).update(copy.deepcopy(named))


def _renamed(value, prefix: str):
    """`value` with every `#/components/schemas/X` reference turned into `…/{prefix}X`."""
    if isinstance(value, dict):
        return {k: _renamed(v, prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, prefix) for v in value]
    if isinstance(value, str) and value.startswith(SCHEMA_REF):
        return SCHEMA_REF + prefix + value[len(SCHEMA_REF) :]
    return value


def _merge_keten(raw: dict) -> None:
    """Turns `raw` (the push file) into one document with the push, pull and status v3 APIs."""
    directory = Path(os.environ["KETENPOORT_VECOZO_DIR"])
    paths: dict = {}
    schemas: dict = {}
    for prefix, name, base in KETEN_APIS:
        spec = json.loads((directory / name).read_text(encoding="utf-8"))
        for path, item in spec["paths"].items():
            paths[base + path] = _renamed(item, prefix)
        for schema_name, schema in spec.get("components", {}).get("schemas", {}).items():
            schemas[prefix + schema_name] = _renamed(schema, prefix)
    raw["info"]["title"] = "VSP-Koppeling push v1 + pull v1 + berichtstatus v3 (keten, merged in memory)"
    raw["servers"] = [{"url": "/berichtenservice"}]
    raw["paths"] = paths
    raw["components"] = {"schemas": schemas}


PUSH_LABEL = "POST /berichten/rest-push/v1/berichten"


def _push_is_a_root() -> None:
    """Lets the keten run's stateful phase start scenarios with a push.

    schemathesis starts scenarios only with operations it deems likely to succeed on random
    data, and its dependency analysis takes the push's traceerId and conversatieId for
    references to resources no operation creates, so it would never push. The pinned
    schemathesis version has no setting for this; run.py checks in the run's requests that
    the chain push -> status -> payload -> confirmation did happen, so a change of this
    internal function fails the run instead of silently skipping the push.
    """
    from schemathesis.specs.openapi import stateful

    likely = stateful.is_likely_root_transition

    def is_likely_root_transition(operation, node, produced_anywhere):
        return operation.label == PUSH_LABEL or likely(operation, node, produced_anywhere)

    stateful.is_likely_root_transition = is_likely_root_transition


if RUN == "keten":
    _push_is_a_root()


@schemathesis.hook
def before_load_schema(context, raw_schema: dict) -> None:
    if RUN == "keten":
        _merge_keten(raw_schema)
        _add_links(raw_schema, PULL_LINKS)
        _add_links(raw_schema, KETEN_LINKS)
    elif RUN == "pull-v1":
        _add_links(raw_schema, PULL_LINKS)


# --- valid pushes in the keten run ------------------------------------------------------------

_counter_lock = threading.Lock()
_counter = [0]
_IDENTIFICATIE = re.compile(rb"(<ijw:Identificatie>)[^<]*(</ijw:Identificatie>)")


def _payload(identificatie: str) -> bytes:
    template = Path(os.environ["KETENPOORT_CONFORMANCE_PAYLOAD"]).read_bytes()
    return _IDENTIFICATIE.sub(rb"\g<1>" + identificatie.encode() + rb"\g<2>", template, count=1)


@schemathesis.hook
def map_body(context, body):
    """In the keten run: the generated push with a registered provider's envelope, a new
    traceerId and a valid JW315 payload, so that the chain can go on past the push."""
    if RUN != "keten" or context.operation is None or context.operation.label != PUSH_LABEL:
        return body
    if not isinstance(body, dict) or not isinstance(body.get("berichtMetadata"), dict):
        return body
    with _counter_lock:
        _counter[0] += 1
        n = _counter[0]
    metadata = dict(body["berichtMetadata"])
    referentie = dict(metadata.get("referentiegegevens") or {})
    referentie["traceerId"] = str(uuid.uuid4())
    referentie["conversatieId"] = referentie.get("conversatieId") or str(uuid.uuid4())
    referentie.pop("alsAntwoordOp", None)
    metadata["referentiegegevens"] = referentie
    metadata["routeringgegevens"] = copy.deepcopy(ROUTERINGGEGEVENS)
    return {**body, "berichtMetadata": metadata, "payload": _payload(f"KETEN{n:05d}")}


STATUS_LABEL = "GET /berichtstatus/rest-pull/v3/berichtstatussen"


@schemathesis.hook
def before_call(context, case, kwargs):
    """In the keten run: a status query that has the traceerId (from the push's link) loses a
    generated conversatieId, so the chain goes on (the status runs of their own send both)."""
    if RUN == "keten" and case.operation.label == STATUS_LABEL and "traceerId" in (case.query or {}):
        case.query.pop("conversatieId", None)


# --- expected failures ------------------------------------------------------------------------

VECOZO_CODE = re.compile(r"^(BRS\d{2,3}|IB\d{3})$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ZOEKPAD_TYPES = ("ZoekpadOpBerichtstroom", "ZoekpadOpConversatieId", "ZoekpadOpAlsAntwoordOp")
# The properties of the three subtypes in the pull file.
ZOEKPAD_PROPERTIES_ALL = {
    "berichttype",
    "berichtsubtype",
    "berichtversie",
    "berichtsubversie",
    "actie",
    "geadresseerdeRol",
    "geadresseerdeCode",
    "conversatieId",
    "alsAntwoordOp",
}


def _problem(response) -> dict | None:
    """The response's problem document, when it is one."""
    try:
        body = json.loads(response.content)
    except (ValueError, TypeError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("errors"), dict):
        return None
    return body


def _errors_keyed_by_one_vecozo_code(case, response) -> bool:
    problem = _problem(response)
    if problem is None or len(problem["errors"]) != 1:
        return False
    code = next(iter(problem["errors"]))
    return bool(VECOZO_CODE.match(code)) and str(problem.get("detail", "")).startswith(code + ": ")


def _part_name_with_control_character(case, response) -> bool:
    problem = _problem(response)
    return (
        problem is not None
        and set(problem["errors"]) == {"multipart"}
        and isinstance(case.body, dict)
        and any(CONTROL.search(str(name)) for name in case.body)
    )


_subtype_validators: dict = {}


def _subtype_validator(zoekpad_type: str):
    """A validator for the pull file's schema of Zoekpad subtype `zoekpad_type`, read as the
    discriminator mapping means it: the subtype's own properties plus `zoekpadType` (without
    the `allOf` with Zoekpad, whose additionalProperties: false forbids every other property)."""
    if zoekpad_type not in _subtype_validators:
        from jsonschema import Draft202012Validator

        spec = json.loads(
            (Path(os.environ["KETENPOORT_VECOZO_DIR"]) / KETEN_APIS[1][1]).read_text(encoding="utf-8")
        )
        schema = copy.deepcopy(spec["components"]["schemas"][zoekpad_type])
        schema.pop("allOf", None)
        schema["properties"]["zoekpadType"] = {"const": zoekpad_type}
        schema["required"] = [*schema["required"], "zoekpadType"]
        _subtype_validators[zoekpad_type] = Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    return _subtype_validators[zoekpad_type]


def _valid_zoekpad_subtype(body) -> bool:
    """Whether `body` is valid against the subtype its zoekpadType names."""
    if not isinstance(body, dict) or body.get("zoekpadType") not in ZOEKPAD_TYPES:
        return False
    return _subtype_validator(body["zoekpadType"]).is_valid(body)


def _zoekpad_not_valid_for_its_subtype(case, response) -> bool:
    """A body that no Zoekpad subtype accepts, refused with errors about its properties."""
    problem = _problem(response)
    return (
        problem is not None
        and not _valid_zoekpad_subtype(case.body)
        and set(problem["errors"]) <= {"zoekpad", "zoekpadType"} | ZOEKPAD_PROPERTIES_ALL | _extra_keys(case.body)
    )


def _extra_keys(body) -> set:
    return {str(k)[:40] for k in body} if isinstance(body, dict) else set()


def _zoekpad_valid_for_its_subtype(case, response) -> bool:
    """A body valid against its subtype, answered with a JSON array."""
    try:
        answer = json.loads(response.content)
    except ValueError:
        return False
    return _valid_zoekpad_subtype(case.body) and isinstance(answer, list)


def _status_query_not_exactly_one(case, response) -> bool:
    problem = _problem(response)
    query = case.query or {}
    return (
        problem is not None
        and ("traceerId" in query) == ("conversatieId" in query)
        and set(problem["errors"]) <= {"traceerId", "conversatieId"}
    )


PREDICATES = {
    "errors-keyed-by-one-vecozo-code": _errors_keyed_by_one_vecozo_code,
    "part-name-with-control-character": _part_name_with_control_character,
    "zoekpad-not-valid-for-its-subtype": _zoekpad_not_valid_for_its_subtype,
    "zoekpad-valid-for-its-subtype": _zoekpad_valid_for_its_subtype,
    "status-query-not-exactly-one": _status_query_not_exactly_one,
}


def _load_expected() -> list[dict]:
    path = os.environ.get("KETENPOORT_CONFORMANCE_EXPECTED")
    if not path:
        return []
    entries = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("deliberate", [])
    matching = []
    for entry in entries:
        match = entry.get("match")
        if match is None:
            continue
        if match["when"] not in PREDICATES:
            raise ValueError(f"expected.toml: entry {entry['id']}: unknown predicate {match['when']!r}")
        matching.append({"id": entry["id"], **match})
    return matching


EXPECTED = _load_expected()
_tally_lock = threading.Lock()


def _operation(label: str) -> str:
    """The operation as its own file names it: in the keten run without the API's base path."""
    method, _, path = label.partition(" ")
    if RUN == "keten":
        for _, _, base in KETEN_APIS:
            if path.startswith(base + "/"):
                path = path[len(base) :]
                break
    return f"{method} {path}"


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keeps every failure except those an expected.toml entry matches exactly."""
    operation = _operation(case.operation.label)
    for entry in EXPECTED:
        if (
            RUN in entry["runs"]
            and operation == entry["operation"]
            and failure.code == entry["failure"]
            and response.status_code == entry["status"]
            and PREDICATES[entry["when"]](case, response)
        ):
            tally = os.environ.get("KETENPOORT_CONFORMANCE_TALLY")
            if tally:
                line = json.dumps({"run": RUN, "id": entry["id"], "operation": operation})
                with _tally_lock, open(tally, "a", encoding="utf-8") as f:
                    f.write(line + "\n")
            return False
    return True
