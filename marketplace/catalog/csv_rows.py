"""Reading a catalog CSV file: its layout, each row checked with the API's schemas, rows grouped by product.

The file (UTF-8, comma-separated, a header row first) has one row per variant;
rows with the same `product_slug` are variants of one product:

    column              required  meaning
    product_slug        yes       the product's slug; a product with this slug is updated, else created
    title               yes*      the product's title
    description         no        plain text
    category_slug       no        slug of a platform category; empty for none
    status              no        draft, published or archived; empty keeps an existing product's (new: draft)
    attributes          no        facets as name=value pairs separated by ";", e.g. material=oak;finish=oiled
    image_url           no        an http(s) URL; replaces the product's images when given, empty leaves them
    sku                 yes       the variant's SKU; a variant with this SKU is updated, else created
    price_amount        yes       integer minor units of the seller's currency, e.g. 1999 for 19.99
    compare_at_amount   no        integer minor units
    weight_grams        no        integer
    low_stock_threshold no        integer
    stock               no        the stock on hand wanted; the difference becomes an adjustment movement
    option:<name>       no        one column per option, e.g. option:size, option:colour; empty cells are skipped

(*) Product columns may be left empty on the second and later rows of a product:
the first valid row defines the product, and a later row that gives a
different value is reported. A column absent from the file leaves that field of
existing products and variants as it is; an empty cell sets it empty. Existing
variants that the file does not name are left alone.

Each row is validated with the API's own schemas (plus the CSV-only `status`
and `stock`); a bad row is reported with its line number and the reason per
column. Nothing here touches the database.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from marshmallow import ValidationError

from marketplace.catalog.models import ProductStatus
from marketplace.catalog.schemas import ImportRowExtrasSchema, ProductInputSchema, VariantInputSchema
from marketplace.core.errors import ValidationFailed

MAX_IMPORT_ROWS = 20_000
OPTION_PREFIX = "option:"
REQUIRED_COLUMNS = ("product_slug", "title", "sku", "price_amount")
PRODUCT_COLUMNS = ("product_slug", "title", "description", "category_slug", "status", "attributes", "image_url")
VARIANT_COLUMNS = ("sku", "price_amount", "compare_at_amount", "weight_grams", "low_stock_threshold", "stock")
INTEGER_COLUMNS = frozenset({"price_amount", "compare_at_amount", "weight_grams", "low_stock_threshold", "stock"})
# Longer numbers are out of every range anyway; int() of thousands of digits would raise.
_INTEGER_TEXT = re.compile(r"^[+-]?[0-9]{1,20}$")
# Schema field -> the CSV column it comes from, to report errors by column.
_COLUMN_OF_FIELD = {"slug": "product_slug", "category_id": "category_slug", "images": "image_url"}

_product_schema = ProductInputSchema()
_variant_schema = VariantInputSchema()
_extras_schema = ImportRowExtrasSchema()


class InvalidCsv(ValidationFailed):
    """The file as a whole cannot be imported (encoding, header, size); nothing was queued."""

    def __init__(self, reason: str):
        super().__init__(f"The CSV file cannot be imported: {reason}", errors={"file": [reason]})


@dataclass(frozen=True)
class RowError:
    line: int
    errors: dict[str, Any]


@dataclass
class VariantRow:
    line: int
    sku: str
    fields: dict[str, Any]
    stock: int | None


@dataclass
class ProductRows:
    """One product of the file: its fields (from its first valid row) and its variant rows."""

    line: int
    slug: str
    fields: dict[str, Any]
    status: ProductStatus | None
    category_slug: str | None
    raw: dict[str, str]
    variants: list[VariantRow] = field(default_factory=list)


@dataclass
class ImportPlan:
    columns: tuple[str, ...]
    products: list[ProductRows]
    row_errors: list[RowError]
    row_count: int


def decode_csv(data: bytes) -> str:
    """The upload as text: UTF-8, with or without a byte order mark."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidCsv(f"it is not UTF-8 text (byte {error.start}).") from error


def check_layout(csv_text: str) -> int:
    """The number of data rows, once the header and the size are known to be fine."""
    if "\x00" in csv_text:
        raise InvalidCsv("it holds NUL characters; it is not a text file.")
    try:
        records = list(_records(csv_text))
    except csv.Error as error:
        raise InvalidCsv(f"it is not valid CSV ({error}).") from error
    if not records:
        raise InvalidCsv("it is empty; the first row must name the columns.")
    _check_header(records[0][1])
    row_count = len(records) - 1
    if row_count == 0:
        raise InvalidCsv("it has a header but no rows.")
    if row_count > MAX_IMPORT_ROWS:
        raise InvalidCsv(f"it has {row_count} rows; at most {MAX_IMPORT_ROWS} are imported at once.")
    return row_count


def _check_header(header: list[str]) -> tuple[str, ...]:
    columns = tuple(name.strip() for name in header)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    unknown = [name for name in columns if name not in PRODUCT_COLUMNS + VARIANT_COLUMNS
               and not (name.startswith(OPTION_PREFIX) and len(name) > len(OPTION_PREFIX))]
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    problems = ([f"missing column(s) {', '.join(missing)}"] if missing else []) \
        + ([f"unknown column(s) {', '.join(unknown)}"] if unknown else []) \
        + ([f"repeated column(s) {', '.join(repeated)}"] if repeated else [])
    if problems:
        raise InvalidCsv("; ".join(problems) + ".")
    return columns


def _records(csv_text: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its fields) for every non-blank record."""
    reader = csv.reader(io.StringIO(csv_text, newline=""))
    next_line = 1
    for record in reader:
        line, next_line = next_line, reader.line_num + 1
        if record and any(value.strip() for value in record):
            yield line, record


def plan_import(csv_text: str, category_ids: dict[str, int]) -> ImportPlan:
    """Group the file's valid rows by product and report the bad ones."""
    records = _records(csv_text)
    _, header = next(records)
    columns = _check_header(header)
    products: dict[str, ProductRows] = {}
    line_of_sku: dict[str, int] = {}
    row_errors: list[RowError] = []
    row_count = 0
    for line, record in records:
        row_count += 1
        errors, product, variant = _read_row(line, columns, record, category_ids, products, line_of_sku)
        if errors:
            row_errors.append(RowError(line, errors))
            continue
        products.setdefault(product.slug, product).variants.append(variant)
        line_of_sku[variant.sku] = line
    return ImportPlan(columns, list(products.values()), row_errors, row_count)


def _read_row(line: int, columns: tuple[str, ...], record: list[str], category_ids: dict[str, int],
              products: dict[str, ProductRows], line_of_sku: dict[str, int]):
    """(errors by column, the row's product, its variant); the errors are empty for a good row."""
    if len(record) != len(columns):
        return {"row": [f"Has {len(record)} fields; the header has {len(columns)}."]}, None, None
    raw = {name: value.strip() for name, value in zip(columns, record)}
    known = products.get(raw["product_slug"])
    if known is not None:
        errors, product = _check_repeated_product(known, raw), known
    else:
        errors, product = _read_product(line, raw, category_ids)
    variant_errors, variant = _read_variant(line, raw)
    errors.update(variant_errors)
    if variant is not None and variant.sku in line_of_sku:
        errors["sku"] = [f"Repeats the SKU of line {line_of_sku[variant.sku]}."]
    return errors, product, variant


def _read_product(line: int, raw: dict[str, str], category_ids: dict[str, int]):
    payload: dict[str, Any] = {"slug": raw["product_slug"], "title": raw["title"]}
    errors: dict[str, Any] = {}
    if "description" in raw:
        payload["description"] = raw["description"]
    if raw.get("category_slug"):
        payload["category_id"] = category_ids.get(raw["category_slug"])
        if payload["category_id"] is None:
            errors["category_slug"] = [f"There is no category {raw['category_slug']!r}."]
    if raw.get("attributes"):
        try:
            payload["attributes"] = _parse_attributes(raw["attributes"])
        except ValueError as error:
            errors["attributes"] = [str(error)]
    if raw.get("image_url"):
        payload["images"] = [{"url": raw["image_url"]}]
    fields, schema_errors = _load(_product_schema, _present(payload))
    extras, extra_errors = _load(_extras_schema, _present({"status": raw.get("status", "")}))
    errors = {**_by_column(schema_errors), **extra_errors, **errors}
    if errors:
        return errors, None
    return errors, ProductRows(line=line, slug=fields["slug"], fields=fields, status=extras.get("status"),
                               category_slug=raw.get("category_slug") or None,
                               raw={name: raw[name] for name in PRODUCT_COLUMNS if name in raw})


def _check_repeated_product(product: ProductRows, raw: dict[str, str]) -> dict[str, Any]:
    """A later row of a product may repeat its fields or leave them empty, not change them."""
    return {
        name: [f"Differs from line {product.line}, which defines product {product.slug!r}."]
        for name in PRODUCT_COLUMNS
        if raw.get(name) and raw[name] != product.raw.get(name)
    }


def _read_variant(line: int, raw: dict[str, str]):
    payload = _present({name: _integer_or_text(name, raw[name]) for name in VARIANT_COLUMNS if name in raw})
    stock = payload.pop("stock", None)
    options = {name[len(OPTION_PREFIX):]: value for name, value in raw.items()
               if name.startswith(OPTION_PREFIX) and value}
    if options:
        payload["options"] = options
    fields, errors = _load(_variant_schema, payload)
    extras, extra_errors = _load(_extras_schema, _present({"stock": stock}))
    errors = {**_by_column(errors), **extra_errors}
    if errors:
        return errors, None
    return errors, VariantRow(line=line, sku=fields["sku"], fields=fields, stock=extras.get("stock"))


def _load(schema, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        return schema.load(payload), {}
    except ValidationError as error:
        return {}, error.messages


def _by_column(errors: dict[str, Any]) -> dict[str, Any]:
    """Schema errors keyed by the CSV column they come from."""
    by_column: dict[str, Any] = {}
    for name, messages in errors.items():
        if name == "images" and isinstance(messages, dict):
            messages = messages[0]["url"]
        if name == "options" and isinstance(messages, dict):
            by_column.update({f"{OPTION_PREFIX}{option}": problem for option, problem in messages.items()})
            continue
        by_column[_COLUMN_OF_FIELD.get(name, name)] = messages
    return by_column


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """An empty cell is a missing value, so that defaults and "required" apply."""
    return {name: value for name, value in values.items() if value not in ("", None)}


def _integer_or_text(column: str, value: str) -> int | str:
    # CSV has only text; the schemas want JSON's integers, and report anything else as not an integer.
    return int(value) if column in INTEGER_COLUMNS and _INTEGER_TEXT.match(value) else value


def _parse_attributes(text: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(";"))):
        name, equals, value = pair.partition("=")
        if not equals:
            raise ValueError(f"Write attributes as name=value pairs separated by ';' ({pair!r} has no '=').")
        attributes[name.strip()] = value.strip()
    return attributes
