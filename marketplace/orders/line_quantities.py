"""Checking the lines a request names ({line_id, quantity}) against the units each line has available.

Shipping and returning ask the same three questions of each line, in this
order: is it a line of the order, is it named once, does it ask for no more
units than are available. The wording of each answer is the caller's.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable, Sequence


@dataclass(frozen=True)
class LineMessages:
    not_a_line: Callable[[int], str]
    repeated: Callable[[int], str]
    # (line id, units available, units asked)
    too_many: Callable[[int, int, int], str]


def line_quantity_errors(lines: Sequence[dict[str, int]], available: dict[int, int],
                         messages: LineMessages) -> dict[str, dict[str, list[str]]]:
    """{index of a refused line: {field: [message]}}; empty when every line may go ahead."""
    errors: dict[str, dict[str, list[str]]] = {}
    repeats = Counter(line["line_id"] for line in lines)
    for index, line in enumerate(lines):
        line_id = line["line_id"]
        if line_id not in available:
            errors[str(index)] = {"line_id": [messages.not_a_line(line_id)]}
        elif repeats[line_id] > 1:
            errors[str(index)] = {"line_id": [messages.repeated(line_id)]}
        elif line["quantity"] > available[line_id]:
            errors[str(index)] = {"quantity": [messages.too_many(line_id, available[line_id], line["quantity"])]}
    return errors
