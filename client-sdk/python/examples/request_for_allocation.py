"""315 Verzoek om toewijzing (request for allocation) from Python: 4 hours a week of product
45A48 for a cliënt, referred by the GP.

Against a gateway started with `ketenpoort serve --dev`, after `pip install ./client-sdk/python`:

    python client-sdk/python/examples/request_for_allocation.py [ADDR]
"""

import sys

import ketenpoort_client as kp


def main() -> int:
    target = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"
    with kp.connect_dev(target) as client:
        try:
            done = client.submit_request_for_allocation({
                "common": kp.common(kp.LAW_IJW, "12345678", "0268"),
                "client": {"bsn": "999990019", "birth_date": "2014-09-30", "sex": "1",
                           "surname": "de Vries", "initials": "B"},
                "guardian_known": "1",
                "products": [{
                    "provider_reference": "PY-1",
                    "product": {"category": "45", "code": "45A48"},
                    "start_date": "2025-05-01",
                    "end_date": "2025-12-31",
                    "extent": {"volume": 4, "unit": "04", "frequency": "2"},
                    "referrer": {"type": "02", "agb_code": "01234567"},
                }],
            })
        except kp.ViolationsError as e:
            for v in e.violations:
                print(f"{v.rule} {v.field}: {v.description}", file=sys.stderr)
            return 1
    r = done.response
    print(f"{r.kind} {r.identificatie} queued as message {r.message_id} "
          f"(request_id {done.request_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
