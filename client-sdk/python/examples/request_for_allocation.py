"""315 Verzoek om toewijzing (request for allocation) from Python: 16 hours a month of
product 45A48 from 1 January 2025, without an end date, for a cliënt referred by the GP.

Every run is a new request: a made-up cliënt (a random BSN that passes the 11-proef) and a
new ReferentieAanbieder, so running it again is not refused as a reused reference (TR347)
or a second open request for one cliënt (TR374).

Against a gateway started with `ketenpoort serve --dev`, after `pip install ./client-sdk/python`:

    python client-sdk/python/examples/request_for_allocation.py [ADDR]
"""

import random
import sys
import uuid

import ketenpoort_client as kp


def random_bsn() -> str:
    """A random nine-digit BSN that passes the 11-proef (9·d1 + … + 2·d8 − d9 ≡ 0 mod 11)."""
    while True:
        digits = [random.randint(1, 9)] + [random.randint(0, 9) for _ in range(7)]
        check = sum(d * w for d, w in zip(digits, range(9, 1, -1))) % 11
        if check < 10:
            return "".join(map(str, digits + [check]))


def main() -> int:
    target = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50051"
    with kp.connect_dev(target) as client:
        try:
            done = client.submit_request_for_allocation({
                "common": kp.common(kp.LAW_IJW, "12345678", "0268"),
                "client": {"bsn": random_bsn(), "birth_date": "2014-09-30", "sex": "1",
                           "surname": "de Vries", "initials": "B"},
                "guardian_known": "1",
                "products": [{
                    "provider_reference": f"PY-{uuid.uuid4().hex[:12]}",
                    "product": {"category": "45", "code": "45A48"},
                    "start_date": "2025-01-01",
                    "extent": {"volume": 16, "unit": "04", "frequency": "4"},
                    "referrer": {"type": "02", "agb_code": "01234567"},
                }],
            })
        except kp.KetenpoortError as e:
            print(f"refused or failed: {e}", file=sys.stderr)
            for v in getattr(e, "violations", []):
                print(f"  {v.rule} {v.field}: {v.description}", file=sys.stderr)
            return 1
    r = done.response
    print(f"{r.kind} {r.identificatie} queued as message {r.message_id} "
          f"(request_id {done.request_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
