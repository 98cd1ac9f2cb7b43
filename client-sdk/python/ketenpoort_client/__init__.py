"""Python client for the ketenpoort gRPC gateway (iJw/iWmo 3.2 messages).

A small typed wrapper over the code that ``generate.py`` generates from
``proto/ketenpoort/v1/gateway.proto`` (module :mod:`ketenpoort_client.pb`):

- :func:`connect_dev` / :func:`connect`: a :class:`Client` with the API token (or a client
  certificate), a deadline on every call and retries of transient failures;
- ``Client.submit_*``: the five submits (315, 323, 305, 307, 317), and ``submit_retour``
  (the 302/320 on a received 301/319, for manual answering). A submit without a
  ``request_id`` gets a UUID4 one, and every retry carries that same id, so a retry never
  makes a second message;
- :class:`KetenpoortError` and its subclasses, with the rule violations decoded from the
  ``google.rpc.BadRequest`` detail into :class:`Violation` objects;
- :meth:`Client.returns`: a :class:`ReturnStream` of return events that reconnects and resumes
  after the last acknowledged cursor.

Requests are the generated messages, or plain dicts with the proto field names::

    import ketenpoort_client as kp

    with kp.connect_dev("127.0.0.1:50051") as client:
        done = client.submit_care_start({
            "common": kp.common(kp.LAW_IJW, "12345678", "0268"),
            "client": {"bsn": "123456782", "birth_date": "2012-05-17", "sex": "2",
                       "surname": "Jansen", "initials": "A"},
            "products": [{"allocation_number": 1001,
                          "product": {"category": "45", "code": "45A48"},
                          "allocation_start_date": "2025-03-01",
                          "start_date": "2025-03-04", "delivery_status": "1"}],
        })
        print(done.response.kind, done.response.message_id)
"""

from __future__ import annotations

import queue
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence, TypeVar, Union

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from ketenpoort_client._pb.ketenpoort.v1 import gateway_pb2 as pb
from ketenpoort_client._pb.ketenpoort.v1 import gateway_pb2_grpc as pb_grpc

__all__ = [
    "pb",
    "LAW_IJW",
    "LAW_IWMO",
    "DEV_TOKEN",
    "RetryPolicy",
    "Submitted",
    "Violation",
    "KetenpoortError",
    "ViolationsError",
    "Unauthenticated",
    "PermissionDenied",
    "AlreadyExists",
    "ResourceExhausted",
    "NotFound",
    "Unavailable",
    "Client",
    "ReturnStream",
    "common",
    "connect",
    "connect_dev",
]

#: iJw (Jeugdwet).
LAW_IJW = pb.LAW_IJW
#: iWmo (Wmo 2015).
LAW_IWMO = pb.LAW_IWMO
#: The API token of a gateway started with ``ketenpoort serve --dev``.
DEV_TOKEN = "dev"

#: Largest message sent or received: a 25 MB claim does not fit gRPC's 4 MiB default.
_MAX_MESSAGE_BYTES = 64 * 1024 * 1024

M = TypeVar("M", bound=Message)
Request = Union[Message, Mapping[str, Any]]


# === errors ===


@dataclass(frozen=True)
class Violation:
    """One broken rule, from a ``google.rpc.BadRequest`` field violation."""

    #: Proto field path of the request field at fault, e.g. ``client.bsn``.
    field: str
    #: Rule id of the standard (``CS002``, ``TR018``, …) or schema rule (``XSD-required``).
    rule: str
    #: The retourcode a retour message would carry (``0001``), or None for schema rules.
    retourcode: Optional[str]
    #: What is wrong, with the XML element path in brackets.
    description: str

    @staticmethod
    def from_parts(field: str, reason: str, description: str) -> "Violation":
        """Splits the gateway's ``"<rule> (retourcode <code>): <text>"`` description."""
        prefix, sep, rest = description.partition(": ")
        rule_in_text, marker, code = prefix.partition(" (retourcode ")
        understood = bool(sep) and (not reason or rule_in_text == reason)
        retourcode = code[:-1] if understood and marker and code.endswith(")") else None
        return Violation(
            field=field,
            rule=reason or (rule_in_text if understood else ""),
            retourcode=retourcode,
            description=rest if understood else description,
        )


class KetenpoortError(Exception):
    """A call failed. ``code`` is the gRPC status code, ``attempts`` how often it was sent."""

    def __init__(self, code: grpc.StatusCode, message: str, attempts: int = 1,
                 violations: Sequence[Violation] = (), total: Optional[int] = None) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.attempts = attempts
        #: The broken rules: all of them, or the first ones when there are many (``total``).
        self.violations: list[Violation] = list(violations)
        #: How many rules are broken in all; more than ``len(violations)`` when the gateway
        #: listed only the first ones (it keeps its error trailers under 8 KiB).
        self.total = max(total or 0, len(self.violations))


class ViolationsError(KetenpoortError):
    """The message breaks rules (INVALID_ARGUMENT; FAILED_PRECONDITION for cross-message
    rules, ``cross_message`` True). Nothing was stored; fix the message."""

    @property
    def cross_message(self) -> bool:
        return self.code == grpc.StatusCode.FAILED_PRECONDITION


class Unauthenticated(KetenpoortError):
    """No or unknown credentials."""


class PermissionDenied(KetenpoortError):
    """The tenant may not act for the AGB code (BRS03)."""


class AlreadyExists(KetenpoortError):
    """The request_id was used before for a message with other content."""


class ResourceExhausted(KetenpoortError):
    """A claim over VECOZO's 25 MB limit (set ``split_when_too_large``)."""


class NotFound(KetenpoortError):
    """No such message for this tenant."""


class Unavailable(KetenpoortError):
    """The gateway could not be reached, asked to retry, or missed the deadline on every
    attempt the retry policy allowed."""


_ERRORS: dict[grpc.StatusCode, type[KetenpoortError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: ViolationsError,
    grpc.StatusCode.FAILED_PRECONDITION: ViolationsError,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: Unavailable,
}

_RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


def _violations(error: grpc.RpcError) -> tuple[list[Violation], Optional[int]]:
    """The BadRequest field violations in the status details of ``error``, and the total
    count from the ``google.rpc.ErrorInfo`` (reason ``VIOLATIONS``) beside them."""
    try:
        from google.rpc import error_details_pb2
        from grpc_status import rpc_status
    except ImportError:  # grpcio-status is a dependency; be lenient all the same
        return [], None
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    if status is None:
        return [], None
    found: list[Violation] = []
    total: Optional[int] = None
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found.extend(Violation.from_parts(v.field, v.reason, v.description)
                         for v in bad.field_violations)
        elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            if info.reason == "VIOLATIONS" and info.domain == "ketenpoort":
                try:
                    total = int(info.metadata.get("total", ""))
                except ValueError:
                    pass
    return found, total


def _error(error: grpc.RpcError, attempts: int) -> KetenpoortError:
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = error.details() if hasattr(error, "details") else str(error)
    cls = _ERRORS.get(code, KetenpoortError)
    if cls is not ViolationsError:
        return cls(code, message or "", attempts)
    violations, total = _violations(error)
    return cls(code, message or "", attempts, violations, total)


# === client ===


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of UNAVAILABLE and DEADLINE_EXCEEDED: ``attempts`` sends in all, waiting
    ``initial_backoff`` seconds, doubling up to ``max_backoff``."""

    attempts: int = 5
    initial_backoff: float = 0.1
    max_backoff: float = 2.0

    def backoff(self, attempt: int) -> float:
        """The wait in seconds after failed attempt number ``attempt`` (1-based)."""
        return min(self.max_backoff, self.initial_backoff * (2 ** min(attempt - 1, 20)))


@dataclass(frozen=True)
class Submitted:
    """What a submit answered, and the request_id every attempt carried."""

    request_id: str
    response: pb.SubmitResponse


def common(law: int, agb_code: str, municipality: str, request_id: str = "",
           validate_only: bool = False, include_xml: bool = False) -> dict[str, Any]:
    """The ``common`` part of a submit: law, the provider's AGB code (Afzender), the
    municipality's CBS code (Ontvanger), and optionally the request_id. ``include_xml``
    asks for the XML in the response also when the message is stored (validate_only
    always returns it; ``get_message`` returns it any time)."""
    return {
        "law": pb.Law.Name(law),
        "agb_code": agb_code,
        "municipality": municipality,
        "request_id": request_id,
        "validate_only": validate_only,
        "include_xml": include_xml,
    }


def _message(request: Request, cls: type[M]) -> M:
    if isinstance(request, cls):
        copy = cls()
        copy.CopyFrom(request)
        return copy
    if isinstance(request, Message):
        raise TypeError(f"expected {cls.__name__}, got {type(request).__name__}")
    return json_format.ParseDict(dict(request), cls(), ignore_unknown_fields=False)


class Client:
    """A connection to a ketenpoort gateway. Use as a context manager, or call close()."""

    def __init__(self, channel: grpc.Channel, token: Optional[str] = None,
                 timeout: float = 30.0, retry: RetryPolicy = RetryPolicy()) -> None:
        self._channel = channel
        self._stub = pb_grpc.GatewayStub(channel)
        self._metadata: tuple[tuple[str, str], ...] = (
            (("authorization", f"Bearer {token}"),) if token else ())
        self.timeout = timeout
        self.retry = retry

    def close(self) -> None:
        """Closes the channel."""
        self._channel.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stub(self) -> pb_grpc.GatewayStub:
        """The generated stub, for what the wrapper does not cover (pass ``metadata``)."""
        return self._stub

    def _unary(self, method: Callable[..., Any], request: Message) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                return method(request, timeout=self.timeout, metadata=self._metadata)
            except grpc.RpcError as e:
                if e.code() in _RETRYABLE and attempt < max(1, self.retry.attempts):
                    time.sleep(self.retry.backoff(attempt) * random.uniform(0.8, 1.0))
                    continue
                raise _error(e, attempt) from None

    def _submit(self, method: Callable[..., Any], request: Request, cls: type[M]) -> Submitted:
        message = _message(request, cls)
        c = message.common  # type: ignore[attr-defined]
        if not c.request_id and not c.validate_only:
            c.request_id = str(uuid.uuid4())
        return Submitted(c.request_id, self._unary(method, message))

    def submit_request_for_allocation(self, request: Request) -> Submitted:
        """315 Verzoek om toewijzing (``SubmitRequestForAllocationRequest``)."""
        return self._submit(self._stub.SubmitRequestForAllocation, request,
                            pb.SubmitRequestForAllocationRequest)

    def submit_declaration(self, request: Request) -> Submitted:
        """323 Declaratie (``SubmitDeclarationRequest``)."""
        return self._submit(self._stub.SubmitDeclaration, request, pb.SubmitDeclarationRequest)

    def submit_care_start(self, request: Request) -> Submitted:
        """305 Start zorg (``SubmitCareStartRequest``)."""
        return self._submit(self._stub.SubmitCareStart, request, pb.SubmitCareStartRequest)

    def submit_care_stop(self, request: Request) -> Submitted:
        """307 Stop zorg (``SubmitCareStopRequest``)."""
        return self._submit(self._stub.SubmitCareStop, request, pb.SubmitCareStopRequest)

    def submit_change_request(self, request: Request) -> Submitted:
        """317 Verzoek om wijziging (``SubmitChangeRequestRequest``)."""
        return self._submit(self._stub.SubmitChangeRequest, request,
                            pb.SubmitChangeRequestRequest)

    def submit_retour(self, event_cursor: int, request_id: str = "",
                      validate_only: bool = False) -> Submitted:
        """302/320: the retour the provider owes on a received 301/319 (for AGB codes whose
        answers are manual), named by the cursor of its ``allocation``/``answer`` return event
        (a missed deadline for it names it in ``answers_cursor``). Without a ``request_id`` a
        UUID4 one is used, the same on every retry. Raises ``ViolationsError``
        (FAILED_PRECONDITION) when it was answered already or the event is no 301/319,
        ``NotFound`` for an unknown or another tenant's event."""
        if not request_id and not validate_only:
            request_id = str(uuid.uuid4())
        request = pb.SubmitRetourRequest(request_id=request_id, validate_only=validate_only,
                                         event_cursor=event_cursor)
        return Submitted(request_id, self._unary(self._stub.SubmitRetour, request))

    def get_message(self, message_id: str) -> pb.MessageRecord:
        """One message with its state, XML and event cursors."""
        return self._unary(self._stub.GetMessage, pb.GetMessageRequest(message_id=message_id))

    def resend_message(self, message_id: str) -> pb.MessageRecord:
        """Puts a message VECOZO refused (REJECTED_BY_VECOZO) back into the queue, to be
        pushed again under a new traceerId (for refusals whose cause lay outside the
        message, such as BRS03, and was removed). Raises ``ViolationsError``
        (FAILED_PRECONDITION) for a message in another state, ``NotFound`` for an unknown
        one."""
        return self._unary(self._stub.ResendMessage,
                           pb.ResendMessageRequest(message_id=message_id))

    def list_messages(self, **filters: Any) -> list[pb.MessageRecord]:
        """Every message matching the ``ListMessagesRequest`` filters (agb_code, kind,
        state, accepted_from, accepted_to), newest first, following the page tokens."""
        request = _message(filters, pb.ListMessagesRequest)
        found: list[pb.MessageRecord] = []
        while True:
            page = self._unary(self._stub.ListMessages, request)
            found.extend(page.messages)
            if not page.next_page_token:
                return found
            request.page_token = page.next_page_token

    def ack_returns(self, cursor: int) -> int:
        """Acknowledges every return event up to ``cursor``; returns the acked cursor."""
        return self._unary(self._stub.AckReturns, pb.AckReturnsRequest(cursor=cursor)).acked_cursor

    def returns(self, after_cursor: int = 0,
                reconnect: RetryPolicy = RetryPolicy(attempts=1_000_000, max_backoff=5.0),
                *, from_cursor: Optional[int] = None) -> "ReturnStream":
        """The tenant's return events, reconnecting under ``reconnect``; see
        :class:`ReturnStream`. By default after the last acknowledged one; after
        ``after_cursor`` when it is above 0; from ``from_cursor`` (inclusive, acknowledged
        or not: ``from_cursor=1`` re-reads every event) when it is given."""
        if from_cursor is not None:
            start: Optional[int] = max(0, from_cursor - 1)
        elif after_cursor > 0:
            start = after_cursor
        else:
            start = None
        return ReturnStream(self, start, reconnect)


def connect(target: str, token: Optional[str] = None, *,
            root_certificates: Optional[bytes] = None,
            private_key: Optional[bytes] = None,
            certificate_chain: Optional[bytes] = None,
            server_name: Optional[str] = None,
            timeout: float = 30.0,
            retry: RetryPolicy = RetryPolicy(),
            interceptors: Sequence[Any] = ()) -> Client:
    """Connects to ``target`` (``host:port``). With ``root_certificates`` (PEM) the channel
    uses TLS, with ``private_key``/``certificate_chain`` mutual TLS (the tenant known by its
    certificate); ``token`` is sent as ``authorization: Bearer``. ``server_name`` overrides
    the name checked in the server certificate. ``timeout`` is the deadline of each attempt."""
    options = [
        ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
        ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_timeout_ms", 10_000),
    ]
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    if root_certificates is not None:
        credentials = grpc.ssl_channel_credentials(root_certificates, private_key,
                                                   certificate_chain)
        channel = grpc.secure_channel(target, credentials, options=options)
    else:
        channel = grpc.insecure_channel(target, options=options)
    if interceptors:
        channel = grpc.intercept_channel(channel, *interceptors)
    return Client(channel, token, timeout, retry)


def connect_dev(target: str = "127.0.0.1:50051", **kwargs: Any) -> Client:
    """Connects to a gateway in dev mode (``ketenpoort serve --dev``): plaintext, token
    ``dev``."""
    return connect(target, DEV_TOKEN, **kwargs)


# === return stream ===

_END = object()


class ReturnStream:
    """Return events (retours, allocations, answers, delivery status) of the tenant's AGB
    codes, as an iterator that survives disconnects.

    A reader thread holds the gRPC stream. When the connection drops or the gateway
    restarts, it reconnects and resumes after the last cursor acknowledged with
    :meth:`ack`; events already handed out are skipped, so the iterator yields each event
    once. Delivery across processes is at-least-once: acknowledge what you have processed.
    """

    def __init__(self, client: Client, after_cursor: Optional[int],
                 reconnect: RetryPolicy) -> None:
        self._client = client
        #: After this cursor; None: after the tenant's acknowledged cursor.
        self._start = after_cursor
        self._acked = 0
        self._delivered = after_cursor or 0
        self._reconnect = reconnect
        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize=256)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._call: Any = None
        #: How many streaming calls were made (more than 1 after reconnects).
        self.connects = 0
        self._thread = threading.Thread(target=self._read, name="ketenpoort-returns",
                                        daemon=True)
        self._thread.start()

    def _read(self) -> None:
        failures = 0
        while not self._closed.is_set():
            with self._lock:
                if self._start is None and self._acked == 0:
                    request = pb.StreamReturnsRequest()
                else:
                    # from_cursor is inclusive; after_cursor too for gateways that predate
                    # from_cursor (they read 0 there as "the acknowledged cursor").
                    after = max(self._acked, self._start or 0)
                    request = pb.StreamReturnsRequest(after_cursor=after,
                                                      from_cursor=after + 1)
                call = self._client._stub.StreamReturns(request,
                                                        metadata=self._client._metadata)
                self._call = call
            try:
                for event in call:
                    failures = 0
                    if not self._put(event):
                        return
                error: Optional[grpc.RpcError] = None  # the gateway ended the stream
            except grpc.RpcError as e:
                if self._closed.is_set():
                    return
                if e.code() not in _RETRYABLE:
                    self._put(_error(e, failures + 1))
                    return
                error = e
            finally:
                self.connects += 1
            failures += 1
            if failures >= max(1, self._reconnect.attempts):
                self._put(_error(error, failures) if error is not None else Unavailable(
                    grpc.StatusCode.UNAVAILABLE, "the stream kept ending", failures))
                return
            self._closed.wait(self._reconnect.backoff(failures))

    def _put(self, item: Any) -> bool:
        """Queues ``item`` for the consumer; False when the stream was closed meanwhile."""
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def next(self, timeout: Optional[float] = None) -> pb.ReturnEvent:
        """The next event not handed out yet. Raises :class:`TimeoutError` after ``timeout``
        seconds without one, and the :class:`KetenpoortError` that ended the stream."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = self._queue.get(timeout=left)
            except queue.Empty:
                raise TimeoutError("no return event in time") from None
            if isinstance(item, KetenpoortError):
                self._queue.put(item)  # stays ended
                raise item
            if item.cursor <= self._delivered:
                continue
            self._delivered = item.cursor
            return item

    def __iter__(self) -> Iterator[pb.ReturnEvent]:
        return self

    def __next__(self) -> pb.ReturnEvent:
        return self.next()

    def ack(self, cursor: int) -> int:
        """Acknowledges every event up to ``cursor``; a reconnect resumes after it."""
        acked = self._client.ack_returns(cursor)
        with self._lock:
            self._acked = max(self._acked, acked)
        return acked

    @property
    def last_acked(self) -> int:
        """The highest cursor acknowledged through this stream."""
        return self._acked

    def close(self) -> None:
        """Stops the reader thread."""
        self._closed.set()
        with self._lock:
            if self._call is not None:
                self._call.cancel()
        self._thread.join(timeout=5)

    def __enter__(self) -> "ReturnStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
