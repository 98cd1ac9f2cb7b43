"""The Python SDK against a dev-mode gateway binary started by the test (conftest.py)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import grpc
import pytest

import ketenpoort_client as kp

from messages import care_start, care_stop, change_request, declaration, request_for_allocation


def test_every_submit_is_accepted_and_stored(gateway: Any) -> None:
    with kp.connect_dev(gateway.target) as client:
        for submit, request, kind in [
            (client.submit_request_for_allocation, request_for_allocation(), "JW315"),
            (client.submit_declaration, declaration(), "JW323"),
            (client.submit_care_start, care_start(), "JW305"),
            (client.submit_care_stop, care_stop(), "JW307"),
            (client.submit_change_request, change_request(), "JW317"),
        ]:
            done = submit(request)
            assert done.response.kind == kind
            assert str(uuid.UUID(done.request_id)) == done.request_id, "a generated UUID4"
            record = client.get_message(done.response.message_id)
            assert record.kind == kind
            assert record.request_id == done.request_id
            assert "<" in record.xml
        assert len(client.list_messages()) == 5
        assert len(client.list_messages(kind="JW323")) == 1


def test_a_line_with_its_contract_tariff_gets_the_iv081_amount(gateway: Any) -> None:
    # 240 minutes under an hourly contract of 87,24: ProductTarief 145 and IngediendBedrag
    # 87,24 x 240 / 60 = 348,96 (IV081), not 145 x 240 = 348,00.
    request = declaration()
    request["common"] = kp.common(kp.LAW_IJW, "12345678", "0268", validate_only=True)
    line = dict(request["clients"][0]["lines"][0])
    del line["tariff_cents"], line["amount_cents"]
    line["contract_tariff_cents"] = 8724
    line["contract_tariff_unit"] = "uur"
    request["clients"][0]["lines"] = [line]
    with kp.connect_dev(gateway.target) as client:
        xml = client.submit_declaration(request).response.xml
    assert ">145<" in xml and ">34896<" in xml and ">34800<" not in xml


def test_a_generated_message_is_accepted_as_well(gateway: Any) -> None:
    request = kp.pb.SubmitCareStartRequest()
    request.common.law = kp.LAW_IWMO
    request.common.agb_code = "12345678"
    request.common.municipality = "0268"
    request.client.CopyFrom(kp.pb.ClientIdentity(**care_start()["client"]))
    request.products.add(allocation_number=1001, allocation_start_date="2025-03-01",
                         start_date="2025-03-04", delivery_status="1",
                         product=kp.pb.Product(category="02", code="45A48"))
    with kp.connect_dev(gateway.target) as client:
        assert client.submit_care_start(request).response.kind == "WMO305"
    assert request.common.request_id == "", "the caller's message is not changed"


def test_violations_are_decoded_from_the_status_details(gateway: Any) -> None:
    bad = care_start(bsn="123456789")
    bad["common"]["validate_only"] = True
    with kp.connect_dev(gateway.target) as client:
        with pytest.raises(kp.ViolationsError) as caught:
            client.submit_care_start(bad)
    error = caught.value
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert not error.cross_message
    bsn = [v for v in error.violations if v.field == "client.bsn"]
    assert bsn, error.violations
    assert bsn[0].rule == "CS002"
    assert bsn[0].retourcode == "0001"
    assert "11-proef" in bsn[0].description


@pytest.mark.parametrize("lines", [200, 20_000])
def test_many_violations_fit_in_the_trailers_grpcio_reads(gateway: Any, lines: int) -> None:
    # Identical lines: every one after the first breaks TR416. grpcio refuses trailers over
    # 16 KiB (RESOURCE_EXHAUSTED, the violations lost); the gateway lists the first ones
    # and sends the total.
    request = declaration()
    request["common"]["validate_only"] = True
    one = request["clients"][0]["lines"][0]
    request["clients"][0]["lines"] = [dict(one) for _ in range(lines)]
    calls: list[Any] = []
    with kp.connect_dev(gateway.target) as client:
        submit = client.stub.SubmitDeclaration
        client._stub.SubmitDeclaration = (  # type: ignore[method-assign]
            lambda *a, **k: calls.append(1) or submit(*a, **k))
        with pytest.raises(kp.ViolationsError) as caught:
            client.submit_declaration(request)
    error = caught.value
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT, error
    assert len(calls) == 1, "a refused request is not sent again"
    assert error.attempts == 1
    tr416 = [v for v in error.violations if v.rule == "TR416"]
    assert tr416, error.violations
    assert error.total >= lines - 1, (error.total, len(error.violations))
    assert 0 < len(error.violations) <= error.total
    if lines > 200:
        assert len(error.violations) < error.total, "only the first ones are listed"
    assert f"{error.total:,} violation(s)" in error.message, error.message


def test_the_same_request_id_gives_the_original_answer_and_other_content_is_refused(
        gateway: Any) -> None:
    with kp.connect_dev(gateway.target) as client:
        first = client.submit_care_start(care_start("order-1"))
        again = client.submit_care_start(care_start("order-1"))
        assert again.response.message_id == first.response.message_id
        with pytest.raises(kp.AlreadyExists):
            client.submit_care_start(care_start("order-1", day=5))
        assert len(client.list_messages()) == 1


class _Lost(grpc.RpcError, grpc.Call, grpc.Future):  # type: ignore[misc]
    """An UNAVAILABLE outcome standing in for a response lost on the way back."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNAVAILABLE

    def details(self) -> str:
        return "the response was lost"

    def result(self, timeout: Any = None) -> Any:
        raise self

    def exception(self, timeout: Any = None) -> Any:
        return self

    def traceback(self, timeout: Any = None) -> Any:
        return None

    def add_done_callback(self, fn: Any) -> None:
        fn(self)

    def initial_metadata(self) -> Any:
        return ()

    def trailing_metadata(self) -> Any:
        return ()

    def is_active(self) -> bool:
        return False

    def time_remaining(self) -> Any:
        return None

    def add_callback(self, callback: Any) -> bool:
        return False

    def cancel(self) -> bool:
        return False

    def cancelled(self) -> bool:
        return False

    def running(self) -> bool:
        return False

    def done(self) -> bool:
        return True


class LoseFirstResponse(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Lets the first SubmitCareStart reach the gateway (which stores the message), then
    reports UNAVAILABLE instead of its response."""

    def __init__(self) -> None:
        self.request_ids: list[str] = []

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        outcome = continuation(details, request)
        if details.method.endswith("/SubmitCareStart"):
            self.request_ids.append(request.common.request_id)
            if len(self.request_ids) == 1:
                outcome.result()  # processed and stored by the gateway
                return _Lost()
        return outcome


def test_a_retry_reuses_the_request_id_and_makes_no_second_message(gateway: Any) -> None:
    lose = LoseFirstResponse()
    with kp.connect_dev(gateway.target, interceptors=[lose]) as client:
        done = client.submit_care_start(care_start())
        assert lose.request_ids == [done.request_id, done.request_id]
        messages = client.list_messages()
        assert len(messages) == 1
        assert messages[0].request_id == done.request_id
        assert messages[0].message_id == done.response.message_id


def test_without_retries_the_lost_response_is_unavailable(gateway: Any) -> None:
    lose = LoseFirstResponse()
    with kp.connect_dev(gateway.target, interceptors=[lose],
                        retry=kp.RetryPolicy(attempts=1)) as client:
        with pytest.raises(kp.Unavailable) as caught:
            client.submit_care_start(care_start("mine"))
        assert caught.value.attempts == 1
        assert client.submit_care_start(care_start("mine")).request_id == "mine"
        assert len(client.list_messages()) == 1


def test_only_a_message_vecozo_refused_can_be_resent(gateway: Any) -> None:
    with kp.connect_dev(gateway.target) as client:
        done = client.submit_care_start(care_start("resend"))
        deadline = time.monotonic() + 30
        while client.get_message(done.response.message_id).state != kp.pb.MESSAGE_STATE_DELIVERED:
            assert time.monotonic() < deadline, "the loopback delivers it within 30 s"
            time.sleep(0.05)
        with pytest.raises(kp.ViolationsError) as caught:
            client.resend_message(done.response.message_id)
        assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert "DELIVERED" in str(caught.value)
        with pytest.raises(kp.NotFound):
            client.resend_message("424242")


def test_an_unknown_token_is_unauthenticated(gateway: Any) -> None:
    with kp.connect(gateway.target, "not-a-token") as client:
        with pytest.raises(kp.Unauthenticated):
            client.list_messages()


def test_the_return_stream_yields_events_and_a_new_one_starts_after_the_ack(
        gateway: Any) -> None:
    with kp.connect_dev(gateway.target) as client:
        ids = [client.submit_care_start(care_start(day=d)).response.message_id
               for d in (4, 5, 6)]
        with client.returns() as stream:
            events = [stream.next(timeout=20) for _ in ids]
            assert [e.message_id for e in events] == ids
            assert all(e.HasField("delivery") for e in events)
            assert events[0].cursor < events[1].cursor < events[2].cursor
            assert stream.ack(events[1].cursor) == events[1].cursor
        with client.returns() as again:
            assert again.next(timeout=20).cursor == events[2].cursor


def test_every_event_from_cursor_1_can_be_read_again_after_its_ack(gateway: Any) -> None:
    with kp.connect_dev(gateway.target) as client:
        ids = [client.submit_care_start(care_start(day=d)).response.message_id
               for d in (4, 5, 6)]
        with client.returns() as stream:
            events = [stream.next(timeout=20) for _ in ids]
            stream.ack(events[-1].cursor)
        cursors = [e.cursor for e in events]
        assert cursors[0] == 1, "a fresh store's first event"
        for i, c in enumerate(cursors):
            with client.returns(from_cursor=c) as again:
                assert [again.next(timeout=20).cursor for _ in cursors[i:]] == cursors[i:]
        with client.returns(after_cursor=cursors[0]) as after:
            assert after.next(timeout=20).cursor == cursors[1]
    gateway.stop()
    gateway.start()
    with kp.connect_dev(gateway.target) as client:
        with client.returns(from_cursor=1) as again:
            assert [again.next(timeout=20).cursor for _ in cursors] == cursors


def test_the_return_stream_resumes_after_the_gateway_restarts(gateway: Any) -> None:
    quick = kp.RetryPolicy(attempts=400, initial_backoff=0.05, max_backoff=0.25)
    with kp.connect_dev(gateway.target) as client:
        before = [client.submit_care_start(care_start(day=d)).response.message_id
                  for d in (4, 5, 6)]
        with client.returns(reconnect=quick) as stream:
            events = [stream.next(timeout=20) for _ in before]
            stream.ack(events[1].cursor)  # the third is handed out, not acknowledged
            gateway.stop()
            with pytest.raises(TimeoutError):
                stream.next(timeout=0.5)
            gateway.start()
            after = [client.submit_care_start(care_start(day=d)).response.message_id
                     for d in (7, 8)]
            resumed = [stream.next(timeout=30) for _ in after]
            assert [e.message_id for e in resumed] == after, "no event twice"
            assert stream.connects >= 2


def test_submit_retour_refuses_what_is_no_received_301(gateway: Any) -> None:
    with kp.connect_dev(gateway.target) as client:
        client.submit_request_for_allocation(request_for_allocation())
        with client.returns() as stream:
            delivery = stream.next(timeout=30)
        assert delivery.WhichOneof("event") == "delivery"
        with pytest.raises(kp.ViolationsError) as caught:
            client.submit_retour(delivery.cursor)
        assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert "not a received 301 or 319" in str(caught.value)
        with pytest.raises(kp.NotFound):
            client.submit_retour(delivery.cursor + 1000, request_id="unknown-event")


def test_server_reflection_v1alpha_lists_and_describes_the_gateway(gateway: Any) -> None:
    """grpcio-reflection's client speaks only grpc.reflection.v1alpha."""
    reflection = pytest.importorskip(
        "grpc_reflection.v1alpha.proto_reflection_descriptor_database")
    with grpc.insecure_channel(gateway.target) as channel:
        database = reflection.ProtoReflectionDescriptorDatabase(channel)
        services = database.get_services()
        assert "ketenpoort.v1.Gateway" in services
        assert "grpc.health.v1.Health" in services
        from google.protobuf.descriptor_pool import DescriptorPool
        pool = DescriptorPool(database)
        service = pool.FindServiceByName("ketenpoort.v1.Gateway")
        assert "StreamReturns" in [m.name for m in service.methods]


def test_the_example_succeeds_against_serve_dev_and_again(serve_dev: Any) -> None:
    """examples/request_for_allocation.py, run as the README runs it, twice."""
    import subprocess
    import sys
    from pathlib import Path
    import os
    package = Path(__file__).resolve().parents[1]
    example = package / "examples" / "request_for_allocation.py"
    # The package from this checkout (generated by generate.py), as the tests import it.
    env = dict(os.environ, PYTHONPATH=str(package))
    for run in (1, 2):
        done = subprocess.run([sys.executable, str(example), serve_dev.target],
                              capture_output=True, text=True, timeout=60, env=env)
        assert done.returncode == 0, f"run {run}: {done.stdout}{done.stderr}"
        assert "JW315" in done.stdout and "queued as message" in done.stdout, done.stdout
