"""A move in a process of its own that stops after a given step, for a test to kill it there.

    python -m tests.tenants.move_process SLUG SHARD STEP

Built like `flask --app wsgi tenants move SLUG --to SHARD` (the app from the
environment, the relay and the move's drain installed), it runs the move and,
once STEP is recorded, prints "paused after STEP" and sleeps until killed.
"""
from __future__ import annotations

import sys
import time

from tenants.move import MoveSettings, run_move, start_or_resume_move
from tenants.move_models import MoveStep
from tenants.registry import get_tenant_by_slug
from tests.tenants.move_support import PAUSED


def main(slug: str, target_shard: str, pause_step: str) -> None:
    # Imported here: building the app is what the process does, not what importing this module does.
    from wsgi import app

    def pause(step: MoveStep, _view) -> None:
        if step.value == pause_step:
            print(PAUSED.format(step.value), flush=True)
            while True:
                time.sleep(60)

    move_id = start_or_resume_move(get_tenant_by_slug(slug), target_shard)
    run_move(move_id, MoveSettings.from_config(app.config), on_step=pause)


if __name__ == "__main__":
    main(*sys.argv[1:])
