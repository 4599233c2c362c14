"""Sending a mail once per dedupe key, from inside a job's unit of work.

    with UnitOfWork() as uow:
        ...                                    # check the state, mint a token, store its digest
        if deliver_once(uow, f"verify_email:{request.id}", mail):
            ...
        uow.commit()

The delivery row is inserted before the mail is sent, in the job's own
transaction: a second run of the job waits on the row's unique key and then
finds it taken, so it sends nothing; a send that fails raises, the
transaction rolls back (the token's digest with it) and RQ retries the job.
A crash between the SMTP server's acceptance and the commit can send a mail
twice; the later mail's token is then the one that works.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app
from sqlalchemy.dialects.postgresql import insert

from marketplace.mail import smtp
from marketplace.mail.local_server import LocalMailServer
from marketplace.mail.message import Mail, compose
from marketplace.mail.models import MailDelivery
from tenants.uow import UnitOfWork

log = logging.getLogger(__name__)

_local_servers: dict[Path, LocalMailServer] = {}


def deliver_once(uow: UnitOfWork, dedupe_key: str, mail: Mail) -> bool:
    """Send `mail` unless a mail with `dedupe_key` was sent; return whether it was sent now."""
    delivery_id = uow.session.scalar(
        insert(MailDelivery)
        .values(dedupe_key=dedupe_key, recipient=mail.to, subject=mail.subject)
        .on_conflict_do_nothing(index_elements=[MailDelivery.dedupe_key])
        .returning(MailDelivery.id)
    )
    if delivery_id is None:
        return False
    smtp.send(compose(mail, current_app.config["MAIL_FROM"]), _smtp_url())
    log.info("mail sent", extra={"mail_delivery_id": delivery_id, "dedupe_key": dedupe_key})
    return True


def _smtp_url() -> str:
    """SMTP_URL, or, when it is unset, a local server in this process keeping mail under VAR_DIR/mail.

    `make run` starts one server for every process and sets SMTP_URL; this
    fallback serves a worker started by hand without it.
    """
    configured = current_app.config["SMTP_URL"]
    if configured:
        return configured
    folder = mail_folder(current_app.config["VAR_DIR"])
    if folder not in _local_servers:
        server = LocalMailServer(folder)
        server.start()
        _local_servers[folder] = server
        log.warning("SMTP_URL is unset: mail is kept as files in %s", folder)
    return _local_servers[folder].url


def mail_folder(var_dir: str) -> Path:
    """Where the embedded SMTP server keeps messages."""
    return Path(var_dir).resolve() / "mail"
