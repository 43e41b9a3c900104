"""The body and headers of a delivery, per the Standard Webhooks specification
(https://www.standardwebhooks.com/): ``webhook-id`` (the same for every attempt of a
delivery), ``webhook-timestamp`` (seconds since the epoch) and ``webhook-signature``
(``v1,`` and the base64 HMAC-SHA256 of ``id.timestamp.body`` under the subscription's secret),
signed by the ``standardwebhooks`` library."""

from __future__ import annotations

import datetime

from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from standardwebhooks.webhooks import Webhook

from changelog.entries import change_entries
from changelog.models import Change
from changelog.serializers import ChangeSerializer

USER_AGENT = "RegWatch-Webhooks/1"


def body(change: Change) -> bytes:
    """``{"type": "<kind>.<action>", "timestamp": ..., "data": <the change as the feed shows
    it>}`` as JSON bytes."""
    entry = ChangeSerializer(change_entries([change])[0]).data
    return JSONRenderer().render(
        {
            "type": f"{change.kind}.{change.action}",
            "timestamp": entry["changed_at"],
            "data": entry,
        }
    )


def headers(
    secret: str, webhook_id: str, payload: bytes, at: datetime.datetime | None = None
) -> dict[str, str]:
    at = at or timezone.now()
    signature = Webhook(secret).sign(msg_id=webhook_id, timestamp=at, data=payload.decode())
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }
