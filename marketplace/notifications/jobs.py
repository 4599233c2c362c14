"""RQ entry points of notifications (thin: each calls one service)."""
from __future__ import annotations

import logging

from marketplace.notifications.services import record_welcome

log = logging.getLogger(__name__)


def send_welcome(user_id: int) -> None:
    """Welcome a new account. Safe to run again: the notification is recorded once."""
    if record_welcome(user_id):
        log.info("welcome notification recorded", extra={"recipient_id": user_id})
    else:
        log.info("welcome notification already recorded or account gone", extra={"recipient_id": user_id})
