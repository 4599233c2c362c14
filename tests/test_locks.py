"""Row locks are taken in one module (tenants/locks.py), in one order, so transactions never deadlock."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from marketplace.accounts import verification
from marketplace.accounts.models import MailedToken, MailedTokenPurpose, User
from marketplace.accounts.tokens import new_token, token_digest
from tenants.db import utcnow
from tenants.uow import UnitOfWork
from tests.concurrency import run_together

ROOT = Path(__file__).resolve().parent.parent
LOCKS_MODULE = Path("tenants/locks.py")
# Queue claims: FOR UPDATE SKIP LOCKED never waits, so it takes no part in the lock order.
QUEUE_CLAIMS = {Path("tenants/uow.py"), Path("workers/relay.py")}
# A tenant move's freeze: the lock its triggers take, written in the SQL that installs them (tenants/locks.py says so).
MOVE_FREEZE = Path("tenants/move_sql.py")
LOCKING_CALL = re.compile(r"with_for_update|pg_advisory|FOR UPDATE|FOR (KEY )?SHARE", re.IGNORECASE)
ROUNDS = 25


def _source_files() -> list[Path]:
    return [path.relative_to(ROOT) for package in ("marketplace", "tenants", "workers", "billing")
            for path in (ROOT / package).rglob("*.py")]


def test_no_module_but_the_locks_module_takes_a_lock():
    lockers = {path for path in _source_files()
               if path not in (LOCKS_MODULE, MOVE_FREEZE) and LOCKING_CALL.search(_code_of(ROOT / path))}

    assert lockers == QUEUE_CLAIMS


def test_the_queue_claims_skip_locked_rows_rather_than_wait():
    for path in QUEUE_CLAIMS:
        claims = re.findall(r"with_for_update\(([^)]*)\)", (ROOT / path).read_text())
        assert claims and all(claim == "skip_locked=True" for claim in claims), path


def _code_of(path: Path) -> str:
    """The file without its comments and docstrings' prose lines, which may name FOR UPDATE freely."""
    text = path.read_text()
    text = re.sub(r'"""(.|\n)*?"""', "", text)
    return re.sub(r"#.*", "", text)


def test_verifying_an_address_while_confirming_a_change_of_it_never_deadlocks(app):
    # Confirming a change revokes the account's verification tokens; verifying locks one of them.
    # Each took its own token first, then the account: a circle, PostgreSQL killed one of the two.
    for round_number in range(ROUNDS):
        user_id, verification_token, change_token = _account_with_two_open_tokens(app, round_number)

        verified, confirmed = run_together(
            app,
            lambda: verification.verify_email(verification_token),
            lambda: verification.confirm_email_change(change_token),
        )

        # Either may go first; coming second, the verification is a 410 (the address it was mailed to is gone).
        assert verified in {"done", "TokenReplaced"}
        assert confirmed == "done"
        assert _email_of(app, user_id) == f"new-{round_number}@example.com"


def _account_with_two_open_tokens(app, round_number: int) -> tuple[int, str, str]:
    verification_token, change_token = new_token(), new_token()
    with app.app_context(), UnitOfWork() as uow:
        user = User(email=f"old-{round_number}@example.com", password_hash="not-a-real-hash")
        uow.session.add(user)
        uow.session.flush()
        expires_at = utcnow() + timedelta(hours=1)
        uow.session.add_all([
            MailedToken(user_id=user.id, purpose=MailedTokenPurpose.VERIFY_EMAIL, email=user.email,
                        token_hash=token_digest(verification_token), expires_at=expires_at),
            MailedToken(user_id=user.id, purpose=MailedTokenPurpose.CHANGE_EMAIL,
                        email=f"new-{round_number}@example.com", token_hash=token_digest(change_token),
                        expires_at=expires_at),
        ])
        user_id = user.id
        uow.commit()
    return user_id, verification_token, change_token


def _email_of(app, user_id: int) -> str:
    with app.app_context(), UnitOfWork() as uow:
        return uow.session.get_one(User, user_id).email
