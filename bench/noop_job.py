"""A job that does nothing, for benchmarks: through the real outbox, queue and workers, what RQ itself costs.

A module of its own, importing nothing: a work horse imports the job's
module, and that must not be what is measured.
"""


def do_nothing(**arguments: object) -> None:
    """Takes any job's arguments and leaves them alone."""
