"""What only the console's forms need; the checking of forms with the API's schemas is marketplace/web/forms.py."""
from __future__ import annotations

from typing import Any, Iterable

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """A select's options from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]
