"""What checkout reads from the cart and how it takes lines out of it, in its own transaction."""
from __future__ import annotations

from marketplace.cart import services
from tenants.uow import UnitOfWork


def test_checkout_reads_the_buyers_lines_by_seller_then_variant(app, buyer, buyer_cart, open_seller, sign_up):
    aurora, brightline = open_seller("aurora-ceramics"), open_seller("brightline-cycles")
    first, second = aurora.variant_on_sale("blue-mug"), aurora.variant_on_sale("plate")
    bell = brightline.variant_on_sale("bell")
    for seller, variant in ((brightline, bell), (aurora, second), (aurora, first)):
        buyer_cart.add(seller, variant)
    others = services.CartOwner(buyer_user_id=sign_up("other@example.com").user_id)
    with app.app_context():
        services.add_line(others, aurora.slug, first, 1)

        with UnitOfWork() as uow:
            lines = [(line.tenant_id, line.variant_id)
                     for line in services.buyer_cart_lines(uow.session, buyer.user_id)]

    assert lines == [
        (aurora.tenant.id, first), (aurora.tenant.id, second), (brightline.tenant.id, bell)]


def test_removing_every_line_frees_the_cart_of_its_currency(app, buyer, buyer_cart, open_seller):
    aurora = open_seller("aurora-ceramics")
    buyer_cart.add(aurora, aurora.variant_on_sale("blue-mug"))
    buyer_cart.add(aurora, aurora.variant_on_sale("plate"))
    [kept, removed] = buyer_cart.lines()

    with app.app_context():
        with UnitOfWork() as uow:
            cart_id = services.buyer_cart_lines(uow.session, buyer.user_id)[0].cart_id
            services.remove_lines(uow.session, cart_id, [removed["id"]])
            uow.commit()
        assert [line["id"] for line in buyer_cart.lines()] == [kept["id"]]
        assert buyer_cart.view()["currency"] == "USD"

        with UnitOfWork() as uow:
            services.remove_lines(uow.session, cart_id, [kept["id"]])
            uow.commit()

    cart = buyer_cart.view()
    assert (cart["line_count"], cart["currency"]) == (0, None)
