"""The seller order desk: filter, search and sort a seller's orders, see one whole, export them, print a slip."""
from __future__ import annotations

import csv
import io
import itertools
from datetime import datetime, timedelta, timezone

import pytest

from marketplace.accounts.models import MemberRole, Membership
from marketplace.orders.lifecycle import Action, Actor, ActorKind, lock_seller_order, move
from marketplace.orders.models import SellerOrder, SellerOrderLine, SellerOrderStatus
from tenants.uow import UnitOfWork

DAY_ONE = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
ADDRESS = {"name": "Ada Lovelace", "line1": "Rua das Flores 12", "line2": "", "city": "Porto", "region": "",
           "postal_code": "4050-262", "country": "PT", "phone": None}
ORDERS = "/api/v1/sellers/acme/orders"
order_numbers = itertools.count(1000)


@pytest.fixture
def staff(sign_up):
    return sign_up("staff@acme.example")


@pytest.fixture
def acme(make_seller, staff):
    """The seller acme, whose one member is `staff` (the least role)."""
    return make_seller("acme", {staff.user_id: MemberRole.STAFF})


def add_order(app, tenant, buyer_name: str = "Ada Lovelace", status: str = "awaiting_acceptance",
              paid_days: float = 0, total_amount: int = 1000, due_hours: float = 48, address=ADDRESS,
              lines: tuple[dict, ...] = ()) -> dict:
    """A seller order written straight into the seller's schema, paid `paid_days` after DAY_ONE."""
    paid_at = DAY_ONE + timedelta(days=paid_days)
    number = next(order_numbers)
    with app.app_context(), UnitOfWork(tenant) as uow:
        order = SellerOrder(marketplace_order_id=number, buyer_user_id=1, buyer_name=buyer_name,
                            status=SellerOrderStatus(status), currency="USD", subtotal_amount=total_amount - 450,
                            shipping_amount=450, total_amount=total_amount, shipping_name="Standard",
                            shipping_address=address, paid_at=paid_at,
                            acceptance_due_at=paid_at + timedelta(hours=due_hours))
        uow.session.add(order)
        uow.session.flush()
        uow.session.add_all(SellerOrderLine(seller_order_id=order.id, marketplace_order_line_id=number * 10 + index,
                                            product_id=1, variant_id=1, unit_price_amount=500,
                                            line_total_amount=500 * line["quantity"], commission_amount=50,
                                            commission_rule={}, **line)
                            for index, line in enumerate(lines))
        uow.commit()
        return {"id": order.id, "order_number": number}


def listed(client, member, query: str = "") -> list[int]:
    response = client.get(f"{ORDERS}?{query}", headers=member.headers)
    assert response.status_code == 200, response.get_json()
    return [order["order_number"] for order in response.get_json()]


def test_a_member_sees_a_routed_order_whole_with_lines_address_and_history(app, client, sign_up, offer,
                                                                          routed_order):
    seller_offer = offer("oak")
    member = sign_up("staff@oak.example")
    with app.app_context(), UnitOfWork() as uow:
        uow.session.add(Membership(user_id=member.user_id, tenant_id=seller_offer.tenant.id, role=MemberRole.STAFF))
        uow.commit()
    _, order = routed_order([seller_offer], quantity=2)
    seller_order_id = order["sellers"][0]["seller_order_id"]
    with app.app_context(), UnitOfWork(seller_offer.tenant) as uow:
        move(uow, lock_seller_order(uow, seller_order_id), Action.ACCEPT, Actor(ActorKind.SELLER, member.user_id),
             "Packing today")
        uow.commit()

    listing = client.get("/api/v1/sellers/oak/orders", headers=member.headers)
    detail = client.get(f"/api/v1/sellers/oak/orders/{seller_order_id}", headers=member.headers).get_json()

    assert [(row["id"], row["order_number"], row["status"], row["total_amount"]) for row in listing.get_json()] == [
        (seller_order_id, order["id"], "accepted", 2 * 1000 + 450)]
    assert listing.headers["X-Pagination"] and '"total": 1' in listing.headers["X-Pagination"]
    assert detail["order_number"] == order["id"] and detail["buyer_name"] == "Ada Lovelace"
    assert [(line["sku"], line["title"], line["quantity"]) for line in detail["lines"]] == [("OAK-1", "Oak thing", 2)]
    assert (detail["shipping_address"]["city"], detail["shipping_address"]["country"]) == ("Porto", "PT")
    assert [(event["action"], event["from_status"], event["to_status"], event["actor_kind"], event["reason"])
            for event in detail["events"]] == [("accept", "awaiting_acceptance", "accepted", "seller",
                                                "Packing today")]


def test_the_desk_filters_by_status_payment_period_and_acceptance_deadline(app, client, staff, acme):
    waiting = add_order(app, acme, status="awaiting_acceptance", paid_days=1, due_hours=10)
    waiting_later = add_order(app, acme, status="awaiting_acceptance", paid_days=2, due_hours=48)
    accepted = add_order(app, acme, status="accepted", paid_days=3)
    shipped = add_order(app, acme, status="shipped", paid_days=5)

    assert listed(client, staff) == [shipped["order_number"], accepted["order_number"],
                                     waiting_later["order_number"], waiting["order_number"]]
    assert listed(client, staff, "status=accepted&status=shipped") == [shipped["order_number"],
                                                                       accepted["order_number"]]
    assert listed(client, staff, "placed_from=2026-11-03T00:00:00Z&placed_to=2026-11-04T09:00:00Z") == [
        accepted["order_number"], waiting_later["order_number"]]
    assert listed(client, staff, "status=awaiting_acceptance&due_before=2026-11-02T20:00:00Z") == [
        waiting["order_number"]]


def test_the_search_finds_an_order_number_or_a_buyer_name_start_ignoring_case(app, client, staff, acme):
    ada = add_order(app, acme, buyer_name="Ada Lovelace")
    adam = add_order(app, acme, buyer_name="adam Smith", paid_days=1)
    add_order(app, acme, buyer_name="Grace Ada Hopper", paid_days=2)
    percent = add_order(app, acme, buyer_name="100% Cotton", paid_days=3)

    assert listed(client, staff, "q=ADA") == [adam["order_number"], ada["order_number"]]
    assert listed(client, staff, "q=ada+l") == [ada["order_number"]]
    assert listed(client, staff, f"q={ada['order_number']}") == [ada["order_number"]]
    assert listed(client, staff, f"q=%23{adam['order_number']}") == [adam["order_number"]]
    assert listed(client, staff, "q=100%25") == [percent["order_number"]]
    assert listed(client, staff, "q=_da") == []
    assert listed(client, staff, "q=99999999999999999999999") == []


@pytest.mark.parametrize("sort, expected", [
    ("-paid_at", ["late", "middle", "early"]),
    ("paid_at", ["early", "middle", "late"]),
    ("acceptance_due_at", ["middle", "late", "early"]),
    ("total_amount", ["middle", "early", "late"]),
    ("-total_amount", ["late", "early", "middle"]),
])
def test_the_desk_sorts_orders(app, client, staff, acme, sort, expected):
    add_order(app, acme, buyer_name="early", paid_days=0, due_hours=200, total_amount=2000)
    add_order(app, acme, buyer_name="middle", paid_days=1, due_hours=1, total_amount=1000)
    add_order(app, acme, buyer_name="late", paid_days=2, due_hours=1, total_amount=3000)

    response = client.get(f"{ORDERS}?sort={sort}", headers=staff.headers)

    assert [order["buyer_name"] for order in response.get_json()] == expected


def test_pages_of_the_list_hold_each_order_once(app, client, staff, acme):
    orders = [add_order(app, acme, paid_days=day / 10) for day in range(5)]

    pages = [listed(client, staff, f"page={page}&page_size=2") for page in (1, 2, 3)]

    assert pages == [[orders[4]["order_number"], orders[3]["order_number"]],
                     [orders[2]["order_number"], orders[1]["order_number"]], [orders[0]["order_number"]]]


def test_the_csv_export_holds_every_matching_order_and_no_formula(app, client, staff, acme):
    add_order(app, acme, status="cancelled", paid_days=0)
    shipped = add_order(app, acme, status="shipped", buyer_name="=HYPERLINK(\"http://evil\")", paid_days=1,
                        total_amount=2500)
    accepted = add_order(app, acme, status="accepted", buyer_name="Bob, Jr.", paid_days=2)

    response = client.get(f"{ORDERS}/export.csv?status=shipped&status=accepted", headers=staff.headers)

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(row["order_number"], row["status"], row["buyer_name"], row["total_amount"], row["ship_to_city"])
            for row in rows] == [
        (str(accepted["order_number"]), "accepted", "Bob, Jr.", "1000", "Porto"),
        (str(shipped["order_number"]), "shipped", "'=HYPERLINK(\"http://evil\")", "2500", "Porto")]


def test_the_packing_slip_shows_the_order_number_address_and_lines_escaped(app, client, staff, acme):
    order = add_order(app, acme, address={**ADDRESS, "line1": "<script>alert(1)</script>"}, lines=(
        {"sku": "MUG-BLUE", "title": "Blue mug", "options": {"size": "L"}, "quantity": 3},
        {"sku": "PLATE-1", "title": "Plate", "options": {}, "quantity": 1}))

    response = client.get(f"{ORDERS}/{order['id']}/packing-slip", headers=staff.headers)

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert f"Order {order['order_number']}" in page
    assert "Porto" in page and "4050-262" in page and "Ada Lovelace" in page
    assert "MUG-BLUE" in page and "Blue mug" in page and "size: L" in page and ">3<" in page and "PLATE-1" in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_another_sellers_order_is_not_found_at_this_seller(app, client, staff, make_seller):
    other = make_seller("globex")
    foreign = add_order(app, other)

    for path in (f"{ORDERS}/{foreign['id']}", f"{ORDERS}/{foreign['id']}/packing-slip"):
        response = client.get(path, headers=staff.headers)
        assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_only_members_and_operators_read_the_desk(app, client, staff, acme, buyer, operator):
    order = add_order(app, acme)

    assert client.get(ORDERS).status_code == 401
    assert client.get(ORDERS, headers=buyer.headers).status_code == 403
    assert client.get(f"{ORDERS}/export.csv", headers=buyer.headers).status_code == 403
    assert client.get(f"{ORDERS}/{order['id']}/packing-slip", headers=buyer.headers).status_code == 403
    assert listed(client, operator) == [order["order_number"]]


def test_a_suspended_sellers_members_still_use_their_desk(app, client, staff, acme, operator):
    order = add_order(app, acme)
    assert client.post("/api/v1/operator/tenants/acme/suspend", json={"reason": "unpaid invoices"},
                       headers=operator.headers).status_code == 200

    assert listed(client, staff) == [order["order_number"]]
    assert client.get(f"{ORDERS}/{order['id']}", headers=staff.headers).status_code == 200
    assert client.get(f"{ORDERS}/{order['id']}/packing-slip", headers=staff.headers).status_code == 200
    assert client.get(f"{ORDERS}/export.csv", headers=staff.headers).status_code == 200


@pytest.mark.parametrize("path, field", [
    (f"{ORDERS}?status=lost", "status"),
    (f"{ORDERS}?sort=buyer_name", "sort"),
    (f"{ORDERS}?placed_from=yesterday", "placed_from"),
    (f"{ORDERS}?placed_from=2026-11-05T00:00:00Z&placed_to=2026-11-01T00:00:00Z", "placed_to"),
    (f"{ORDERS}?q=", "q"),
    (f"{ORDERS}?colour=red", "colour"),
    (f"{ORDERS}/export.csv?due_before=soon", "due_before"),
    (f"{ORDERS}/export.csv?page=2", "page"),
])
def test_a_bad_filter_is_a_422_naming_it(client, staff, acme, path, field):
    response = client.get(path, headers=staff.headers)

    body = response.get_json()
    assert response.status_code == 422 and body["code"] == "validation_error"
    assert field in body["errors"], body
