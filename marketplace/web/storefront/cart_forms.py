"""The storefront's forms that buy: adding to the cart, changing a line, checking out, paying."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from marketplace.cart.models import MAX_LINE_QUANTITY

TEST_CARD = "4242424242424242"


class AddToCartForm(FlaskForm):
    seller = HiddenField(validators=[DataRequired()])
    product = HiddenField(validators=[DataRequired()])
    variant_id = RadioField("Variant", coerce=int, validators=[DataRequired(message="Choose a variant.")])
    quantity = IntegerField("Quantity", default=1,
                            validators=[InputRequired(), NumberRange(min=1, max=MAX_LINE_QUANTITY)])


class LineQuantityForm(FlaskForm):
    quantity = IntegerField("Quantity", validators=[InputRequired(), NumberRange(min=1, max=MAX_LINE_QUANTITY)])


class CheckoutForm(FlaskForm):
    """The address and shipping choices are read from the request (one radio group per seller)."""

    idempotency_key = HiddenField(validators=[DataRequired(), Length(max=255)])
    address_id = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,18}$")])
    expected_subtotal_amount = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9]{1,15}$")])
    payment_method = StringField("Card number", validators=[DataRequired(message="Enter a card number."),
                                                            Length(max=255)])


class PayForm(FlaskForm):
    payment_method = StringField("Card number", validators=[DataRequired(message="Enter a card number."),
                                                            Length(max=255)])
