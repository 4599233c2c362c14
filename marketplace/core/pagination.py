"""Paginated lists: `@paginated(blp)` views, SQLAlchemy selects cut into pages, strict query strings.

A service takes a `PageRequest` and returns a `Page` (the items plus the total
count); the view decorated with `@paginated(blp)` receives the request and
returns the page. flask-smorest validates `page` and `page_size` from the query
string and reports the totals in the `X-Pagination` header.

    @blp.response(200, UserSchema(many=True))
    @paginated(blp)
    def get(self, page_request):
        return services.list_users(page_request)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable, Generic, TypeVar

from flask_smorest import Blueprint
from flask_smorest.pagination import PaginationParameters
from marshmallow import Schema, pre_load
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from marketplace.core.errors import ValidationFailed

MAX_PAGE_SIZE = 100
# An offset past this many pages is a scan nobody browses to; refuse it rather than run it.
MAX_PAGE_NUMBER = 10_000
PAGINATION_PARAMETERS = ("page", "page_size")

Item = TypeVar("Item")
Converted = TypeVar("Converted")


@dataclass(frozen=True)
class PageRequest:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    total: int

    def map(self, convert: Callable[[Item], Converted]) -> "Page[Converted]":
        return Page([convert(item) for item in self.items], self.total)


def fetch_page(session: Session, statement: Select, page_request: PageRequest) -> Page[Any]:
    """One page of `statement` (which must have a total order) and the count of all its rows.

    A select of one entity or column yields its values, any other select yields rows.
    """
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    if page_request.offset >= total:
        return Page([], total)
    result = session.execute(statement.limit(page_request.size).offset(page_request.offset))
    rows = result.scalars().all() if len(statement.column_descriptions) == 1 else result.all()
    return Page(list(rows), total)


def paginated(blp: Blueprint) -> Callable:
    """Like `blp.paginate()`: the view gets `page_request` and returns a `Page`."""

    def decorator(view: Callable) -> Callable:
        @blp.paginate(max_page_size=MAX_PAGE_SIZE)
        @wraps(view)
        def wrapper(*args, pagination_parameters: PaginationParameters, **kwargs):
            page = view(*args, page_request=_page_request(pagination_parameters), **kwargs)
            pagination_parameters.item_count = page.total
            return page.items

        return wrapper

    return decorator


def _page_request(pagination_parameters: PaginationParameters) -> PageRequest:
    if pagination_parameters.page > MAX_PAGE_NUMBER:
        raise ValidationFailed(
            "The page number is too large.",
            errors={"page": [f"Must be at most {MAX_PAGE_NUMBER}; narrow the list with a filter instead."]},
        )
    return PageRequest(number=pagination_parameters.page, size=pagination_parameters.page_size)


class StrictQuerySchema(Schema):
    """A paginated list's query string, whose unknown parameters are refused (422), not ignored.

    webargs ignores unknown query parameters unless told otherwise, so views
    pass `unknown=RAISE`. flask-smorest reads `page` and `page_size` with a
    schema of its own: they are taken out here rather than reported as unknown.
    """

    @pre_load
    def _drop_pagination_parameters(self, data, **kwargs):
        return {key: data[key] for key in data if key not in PAGINATION_PARAMETERS}
