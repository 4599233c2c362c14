"""RQ entry points of the audit log (thin: each calls one service). Safe to run again."""
from __future__ import annotations

import logging
from typing import Any

from marketplace.audit.services import apply_entry

log = logging.getLogger(__name__)


def record_entry(entry: dict[str, Any]) -> None:
    """Write an audit entry a tenant's transaction sent (its key makes a second write a no-op)."""
    written = apply_entry(entry)
    log.info("audit entry %s", "written" if written else "already written",
             extra={"action": entry.get("action"), "tenant_id": entry.get("tenant_id")})
