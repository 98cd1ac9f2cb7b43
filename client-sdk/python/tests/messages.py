"""Rule-valid requests for the tests, as dicts with the proto field names."""

from __future__ import annotations

from typing import Any

import ketenpoort_client as kp

AGB = "12345678"
MUNICIPALITY = "0268"
CLIENT = {"bsn": "123456782", "birth_date": "2012-05-17", "sex": "2", "surname": "Jansen",
          "initials": "A"}


def care_start(request_id: str = "", day: int = 4, bsn: str = "123456782") -> dict[str, Any]:
    """305 Start zorg."""
    return {
        "common": kp.common(kp.LAW_IJW, AGB, MUNICIPALITY, request_id),
        "client": {**CLIENT, "bsn": bsn},
        "products": [{
            "allocation_number": 1000 + day,
            "product": {"category": "45", "code": "45A48"},
            "allocation_start_date": "2025-03-01",
            "start_date": f"2025-03-{day:02d}",
            "delivery_status": "1",
        }],
    }


def care_stop() -> dict[str, Any]:
    """307 Stop zorg."""
    return {
        "common": kp.common(kp.LAW_IJW, AGB, MUNICIPALITY),
        "client": CLIENT,
        "products": [{
            "allocation_number": 1001,
            "product": {"category": "45", "code": "45A48"},
            "allocation_start_date": "2025-03-01",
            "start_date": "2025-03-04",
            "end_reason": "02",
            "end_date": "2025-03-31",
            "delivery_status": "1",
        }],
    }


def request_for_allocation() -> dict[str, Any]:
    """315 Verzoek om toewijzing."""
    return {
        "common": kp.common(kp.LAW_IJW, AGB, MUNICIPALITY),
        "client": CLIENT,
        "guardian_known": "1",
        "products": [{
            "provider_reference": "REF-1",
            "product": {"category": "45", "code": "45A48"},
            "start_date": "2025-05-01",
            "end_date": "2025-12-31",
            "extent": {"volume": 4, "unit": "04", "frequency": "2"},
            "referrer": {"type": "02", "agb_code": "01234567"},
        }],
    }


def declaration() -> dict[str, Any]:
    """323 Declaratie for March 2025."""
    def line(reference: str, allocation: int) -> dict[str, Any]:
        return {
            "reference_number": reference,
            "allocation_number": allocation,
            "product_category": "45",
            "product_code": "45A48",
            "period_start": "2025-03-04",
            "period_end": "2025-03-31",
            "delivered_volume": 240,
            "unit": "01",
            "tariff_cents": 145,
            "amount_cents": 34896,
        }

    return {
        "common": kp.common(kp.LAW_IJW, AGB, MUNICIPALITY),
        "month": "2025-03",
        "clients": [{"bsn": "111222333", "lines": [line("R1", 1001), line("R2", 1002)]}],
    }


def change_request() -> dict[str, Any]:
    """317 Verzoek om wijziging."""
    return {
        "common": kp.common(kp.LAW_IJW, AGB, MUNICIPALITY),
        "bsn": "123456782",
        "provider_reference": "REF-2",
        "reason": "1",
        "changed": [{
            "allocation_number": 1001,
            "desired_start_date": "2025-05-01",
            "end_date": "2025-12-31",
            "extent": {"volume": 6, "unit": "04", "frequency": "2"},
        }],
    }
