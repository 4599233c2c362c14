"""RQ entry points of outbound webhooks (thin: each calls one service). Both are safe to run again."""
from __future__ import annotations

import logging

from flask import current_app

from marketplace.webhooks import delivery, services
from tenants.registry import get_tenant_by_id

log = logging.getLogger(__name__)

# Most due deliveries of one seller the sweep queues per run (the next run goes on).
SWEEP_BATCH_SIZE = 500


def send_delivery(tenant_id: int, delivery_id: int) -> None:
    """POST the delivery's (endpoint, order) chain up to it and past it, whatever is due, oldest first."""
    settled = delivery.send_chain(get_tenant_by_id(tenant_id), delivery_id,
                                  delivery.SendPolicy.from_config(current_app.config))
    log.info("webhook deliveries: %d settled", settled, extra={"delivery_id": delivery_id, "settled_count": settled})


def retry_due_deliveries() -> None:
    """Periodic: queue the send job of every webhook delivery due for a retry, seller by seller."""
    queued = services.queue_due_deliveries(SWEEP_BATCH_SIZE)
    log.info("%d webhook deliveries queued for a retry", queued, extra={"queued_count": queued})
