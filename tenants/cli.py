"""`flask tenants …` (stub until the fleet work lands)."""
from flask.cli import AppGroup

tenants_cli = AppGroup("tenants", help="Provision tenants and migrate the fleet.")
