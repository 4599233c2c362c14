"""The buyer's forms about an order: cancelling a seller's part, asking for a return, reviewing a product."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from marketplace.reviews.schemas import MAX_REVIEW_LENGTH

MAX_REASON_LENGTH = 500


class CancelForm(FlaskForm):
    reason = TextAreaField("Why are you cancelling?", validators=[DataRequired(), Length(max=MAX_REASON_LENGTH)])


class ReturnForm(FlaskForm):
    """The units to send back are read from one `quantity-<line id>` field per delivered line."""

    reason = TextAreaField("Why are you returning these?", validators=[DataRequired(), Length(max=MAX_REASON_LENGTH)])


class ReviewForm(FlaskForm):
    rating = RadioField("Your rating", coerce=int, choices=[SelectChoice(stars, f"{stars} star{'s' if stars > 1 else ''}")
                                                             for stars in range(5, 0, -1)],
                        validators=[InputRequired(message="Choose a rating.")])
    body = TextAreaField("Your review", validators=[Length(max=MAX_REVIEW_LENGTH)])
