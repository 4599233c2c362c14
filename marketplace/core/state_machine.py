"""One small helper for the life cycles of our objects: a transitions table and a check.

Each object that moves through statuses (a catalog product, a tenant, and
soon an order) states its moves once, as a table from action to the statuses
it may start from and the status it leads to; `check` refuses any other move
with the one 409 `illegal_transition`.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, Mapping, TypeVar

from marketplace.core.errors import Conflict

Status = TypeVar("Status", bound=enum.Enum)
Action = TypeVar("Action")


class IllegalTransition(Conflict):
    code = "illegal_transition"

    def __init__(self, message: str, action, from_status: enum.Enum):
        super().__init__(message)
        self.action = action
        self.from_status = from_status  # not `status`: that is the HTTP status of every ApiError


@dataclass(frozen=True)
class StateMachine(Generic[Status, Action]):
    """The allowed moves of one kind of object."""

    noun: str  # what moves, for messages: "product", "seller"
    # action -> (statuses it may start from, status it leads to)
    transitions: Mapping[Action, tuple[frozenset[Status], Status]]
    past_tense: Mapping[Action, str]  # "publish" -> "published"

    def check(self, status: Status, action: Action) -> Status:
        """The status `action` leads to from `status`; IllegalTransition if the table has no such move."""
        allowed_from, target = self.transitions[action]
        if status not in allowed_from:
            raise IllegalTransition(f"A {status.value} {self.noun} cannot be {self.past_tense[action]}.",
                                    action, status)
        return target
