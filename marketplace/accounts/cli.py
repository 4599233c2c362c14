"""`flask operators …` (stub until the accounts work lands)."""
import click
from flask.cli import AppGroup

operators_cli = AppGroup("operators", help="Manage platform operators.")
