"""What every page view needs: the page number of a list from the query string, and rendering with a status."""
from __future__ import annotations

import math
from dataclasses import dataclass

from flask import request

from marketplace.core.pagination import MAX_PAGE_NUMBER, Page, PageRequest

PAGE_SIZE = 20


@dataclass(frozen=True)
class PageLinks:
    """Where a list page sits among its pages, for the `pagination` macro."""

    number: int
    count: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


def page_request(size: int = PAGE_SIZE) -> PageRequest:
    """The page asked for by `?page=`; a missing, malformed or out-of-range number means the first or last."""
    raw = request.args.get("page", "1")
    number = int(raw) if raw.isdigit() else 1
    return PageRequest(number=min(max(number, 1), MAX_PAGE_NUMBER), size=size)


def page_links(page: Page, asked: PageRequest) -> PageLinks:
    return PageLinks(number=asked.number, count=max(1, math.ceil(page.total / asked.size)), total=page.total)
