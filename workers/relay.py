"""Outbox relay (stub until the workers work lands)."""


def install_commit_relay() -> None:
    pass
