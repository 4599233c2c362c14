"""`flask operators …`: platform operators, who have no sign-up page."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from marshmallow import ValidationError

from marketplace.accounts import services
from marketplace.accounts.schemas import OperatorSchema

operators_cli = AppGroup("operators", help="Manage platform operators.")


@operators_cli.command("create")
@click.option("--email", required=True, help="The operator's email; an existing account with it is promoted.")
@click.option("--password", help="Password of a new account; asked for when left out (keeps it out of shell history).")
@click.option("--full-name", default="", help="Name of a new account.")
def create_operator(email: str, password: str | None, full_name: str) -> None:
    """Create an operator account, or make an existing account an operator."""
    given = {"email": email, "full_name": full_name} | ({"password": password} if password is not None else {})
    details = _load(given)
    if services.find_account(details["email"]) is None:
        _create(given, details)
        return
    if password is not None:
        click.echo("An account with this email exists; its password is left unchanged.")
    account, _ = services.make_operator(details["email"], None)
    click.echo(f"{account.email} (user {account.id}) is now an operator.")


def _create(given: dict, details: dict) -> None:
    if "password" not in details:
        details = _load(given | {"password": click.prompt("Password", hide_input=True, confirmation_prompt=True)})
    account, _ = services.make_operator(details["email"], details["password"], details["full_name"])
    click.echo(f"Created the operator {account.email} (user {account.id}).")


def _load(given: dict) -> dict:
    """The account rules of the API, with its messages as the usage error."""
    try:
        return OperatorSchema().load(given)
    except ValidationError as error:
        problems = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.messages.items())
        raise click.UsageError(problems) from error
