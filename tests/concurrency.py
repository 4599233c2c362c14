"""Running service calls at the same moment, each in its own thread, to show what their locks do."""
from __future__ import annotations

import threading


def run_together(app, *calls) -> list[str]:
    """Run the calls at once, each in its own thread; return how each ended (an exception's class name)."""
    start = threading.Barrier(len(calls))
    outcomes = [""] * len(calls)

    def run(index: int, call):
        with app.app_context():
            start.wait()
            try:
                call()
                outcomes[index] = "done"
            except Exception as error:  # noqa: BLE001 - the outcome is what the test looks at
                outcomes[index] = type(error).__name__

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
