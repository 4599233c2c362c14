"""Sellers reply once; operators hide and show reviews, and ratings follow what buyers may see."""
from __future__ import annotations

from marketplace.accounts.models import MemberRole
from tests.reviews.conftest import PUBLIC_REVIEWS
from tests.storefront.support import add_product, add_purchase


def reply_path(review_id: int, seller: str = "shop") -> str:
    return f"/api/v1/sellers/{seller}/reviews/{review_id}/reply"


def moderation_path(review_id: int, action: str, seller: str = "shop") -> str:
    return f"/api/v1/operator/reviews/{seller}/{review_id}/{action}"


def test_a_seller_replies_once_and_buyers_see_the_reply(client, account, add_member, review_id):
    staff = account("staff@example.com")
    add_member(staff, MemberRole.STAFF)

    response = client.post(reply_path(review_id), json={"body": "Thank you!"}, headers=staff.headers)

    assert response.status_code == 201
    assert response.get_json()["seller_reply"] == "Thank you!"
    public = client.get(PUBLIC_REVIEWS).get_json()[0]
    assert (public["seller_reply"], public["replied_at"] is not None) == ("Thank you!", True)


def test_a_second_reply_is_a_conflict_and_keeps_the_first(client, account, add_member, review_id, review_state):
    owner = account("owner@example.com")
    add_member(owner)
    client.post(reply_path(review_id), json={"body": "Thank you!"}, headers=owner.headers)
    before = review_state()

    response = client.post(reply_path(review_id), json={"body": "Edited thanks"}, headers=owner.headers)

    assert response.status_code == 409
    assert response.get_json()["code"] == "already_replied"
    assert review_state() == before


def test_a_seller_cannot_reply_to_another_sellers_review(client, account, make_seller, review_id, review_state):
    rival_owner = account("rival@example.com")
    make_seller("rival", {rival_owner.user_id: MemberRole.OWNER})
    before = review_state()

    response = client.post(reply_path(review_id, seller="rival"), json={"body": "Ha"}, headers=rival_owner.headers)

    assert response.status_code == 404
    assert review_state() == before


def test_hiding_a_review_takes_it_out_of_the_rating_and_showing_it_puts_it_back(
        client, operator, account, shop, mug_id, buyer, bought_line, post_review):
    critic = account("critic@example.com")
    post_review(buyer, bought_line, rating=5)
    abusive = post_review(critic, add_purchase(critic.user_id, shop, mug_id), rating=1).get_json()

    hidden = client.post(moderation_path(abusive["id"], "hide"), json={"reason": "Abusive language"},
                         headers=operator.headers)
    rating_while_hidden = client.get("/api/v1/products/shop/mug").get_json()["rating"]
    listing_while_hidden = client.get("/api/v1/products").get_json()[0]["rating"]
    public_while_hidden = [review["rating"] for review in client.get(PUBLIC_REVIEWS).get_json()]
    shown = client.post(moderation_path(abusive["id"], "unhide"), json={}, headers=operator.headers)
    rating_when_shown = client.get("/api/v1/products/shop/mug").get_json()["rating"]

    assert (hidden.status_code, hidden.get_json()["is_hidden"]) == (200, True)
    assert rating_while_hidden == listing_while_hidden == {"average": 5.0, "count": 1}
    assert public_while_hidden == [5]
    assert (shown.status_code, shown.get_json()["is_hidden"]) == (200, False)
    assert rating_when_shown == {"average": 3.0, "count": 2}


def test_hiding_a_review_is_audited_with_its_reason(client, operator, sql, shop, review_id):
    client.post(moderation_path(review_id, "hide"), json={"reason": "Spam"}, headers=operator.headers)

    entries = sql("SELECT actor_user_id, action, target_id, tenant_id, after FROM platform.audit_log "
                  "WHERE target_type = 'review'")

    assert [tuple(entry) for entry in entries] == [
        (operator.user_id, "review.hide", str(review_id), shop.id, {"is_hidden": True, "reason": "Spam"}),
    ]


def test_hiding_a_hidden_review_or_showing_a_visible_one_is_a_conflict(client, operator, review_id, review_state):
    client.post(moderation_path(review_id, "hide"), headers=operator.headers)
    hidden_state = review_state()

    hide_again = client.post(moderation_path(review_id, "hide"), headers=operator.headers)
    state_after_hiding_again = review_state()
    client.post(moderation_path(review_id, "unhide"), headers=operator.headers)
    unhide_again = client.post(moderation_path(review_id, "unhide"), headers=operator.headers)

    assert (hide_again.status_code, hide_again.get_json()["code"]) == (409, "illegal_transition")
    assert state_after_hiding_again == hidden_state
    assert unhide_again.status_code == 409
    assert [review["id"] for review in client.get(PUBLIC_REVIEWS).get_json()] == [review_id]


def test_operators_moderate_unknown_reviews_or_sellers_with_a_404(client, operator, review_id, review_state):
    before = review_state()

    unknown_review = client.post(moderation_path(review_id + 1, "hide"), headers=operator.headers)
    unknown_seller = client.post(moderation_path(review_id, "hide", seller="nobody"), headers=operator.headers)
    huge_id = client.post(moderation_path(2**63, "hide"), headers=operator.headers)

    assert [unknown_review.status_code, unknown_seller.status_code, huge_id.status_code] == [404, 404, 404]
    assert review_state() == before


def test_sellers_list_every_review_of_their_products_hidden_ones_too(client, operator, account, add_member, shop,
                                                                      review_id):
    owner = account("owner@example.com")
    add_member(owner)
    add_product(shop, "other-product")
    client.post(moderation_path(review_id, "hide"), headers=operator.headers)

    response = client.get("/api/v1/sellers/shop/reviews", headers=owner.headers)

    assert response.status_code == 200
    assert [(review["id"], review["is_hidden"]) for review in response.get_json()] == [(review_id, True)]
