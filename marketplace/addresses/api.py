"""The address book API: the signed-in buyer's shipping addresses under /me/addresses."""
from __future__ import annotations

from flask.views import MethodView

from marketplace.accounts.permissions import current_principal, login_required
from marketplace.addresses import services
from marketplace.addresses.schemas import AddressChangeSchema, AddressInputSchema, AddressSchema
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint

blp = Blueprint("addresses", __name__, description="The signed-in buyer's address book")

# Ids are BIGINT: a larger number in a path is a 404 from routing (marketplace.core.openapi).
ADDRESS_PATH = "/me/addresses/<id:address_id>"
EXAMPLE_ADDRESS = {"name": "Ada Lovelace", "line1": "Rua das Flores 12", "line2": "3º esq.", "city": "Porto",
                   "region": "", "postal_code": "4050-262", "country": "PT", "phone": "+351 912 345 678"}


@blp.route("/me/addresses")
class Addresses(MethodView):
    @login_required
    @blp.response(200, AddressSchema(many=True))
    @paginated(blp)
    def get(self, page_request):
        """My addresses, the default first, then the newest"""
        return services.list_addresses(current_principal().user_id, page_request)

    @login_required
    @blp.arguments(AddressInputSchema, example=EXAMPLE_ADDRESS)
    @blp.response(201, AddressSchema)
    @blp.alt_response(409, response="CONFLICT", description="`address_limit_reached`: the book is full (20).")
    def post(self, address):
        """Add an address

        The postal code and region must fit the country's rules (422 naming
        the field otherwise). The first address becomes the default.
        """
        return services.add_address(current_principal().user_id, address)


@blp.route(ADDRESS_PATH)
class AddressDetail(MethodView):
    @login_required
    @blp.response(200, AddressSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, address_id):
        """One of my addresses"""
        return services.get_address(current_principal().user_id, address_id)

    @login_required
    @blp.arguments(AddressChangeSchema)
    @blp.response(200, AddressSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def patch(self, changes, address_id):
        """Change some fields of an address

        The address as changed must fit its country's rules (422 otherwise).
        """
        return services.change_address(current_principal().user_id, address_id, changes)

    @login_required
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    def delete(self, address_id):
        """Delete an address

        If it was the default, the newest remaining address becomes the default.
        """
        services.delete_address(current_principal().user_id, address_id)


@blp.route(f"{ADDRESS_PATH}/default")
class DefaultAddress(MethodView):
    @login_required
    @blp.response(200, AddressSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, address_id):
        """Make an address my default shipping address

        The previous default stops being one.
        """
        return services.make_default(current_principal().user_id, address_id)
