"""The test gateway's 3-D Secure page: the buyer holding the client secret approves or refuses the payment."""
from __future__ import annotations

from billing.gateway.registry import current_gateway
from billing.money import Money
from tests.workers.support import run_jobs

AUTHENTICATE = "/api/v1/test-gateway/payment_intents/{}/authenticate"


def _intent_waiting_for_authentication(app):
    with app.app_context():
        gateway = current_gateway()
        intent = gateway.create_payment_intent(amount=Money(1500, "EUR"), transfer_group="order-3",
                                               idempotency_key="pi:order-3", metadata={})
        return gateway.confirm_payment_intent(intent.id, payment_method="4000002500003155",
                                              idempotency_key="confirm:order-3")


def test_the_buyer_approves_and_the_payment_succeeds_with_its_event_delivered(app, client, sql):
    intent = _intent_waiting_for_authentication(app)

    response = client.post(AUTHENTICATE.format(intent.id), json={"client_secret": intent.client_secret,
                                                                  "approve": True})
    run_jobs(app)

    assert response.status_code == 200
    assert response.get_json() == {"id": intent.id, "status": "succeeded", "last_payment_error": None}
    assert ("payment_intent.succeeded",) in sql("SELECT type FROM platform.gateway_events")


def test_the_buyer_refuses_and_the_payment_fails_but_stays_payable(app, client):
    intent = _intent_waiting_for_authentication(app)

    response = client.post(AUTHENTICATE.format(intent.id), json={"client_secret": intent.client_secret,
                                                                  "approve": False})

    assert response.get_json() == {"id": intent.id, "status": "requires_payment_method",
                                   "last_payment_error": "payment_intent_authentication_failure"}


def test_another_client_secret_finds_no_intent_and_changes_nothing(app, client, sql):
    intent = _intent_waiting_for_authentication(app)

    response = client.post(AUTHENTICATE.format(intent.id), json={"client_secret": "pi_x_secret_guess",
                                                                  "approve": True})

    assert (response.status_code, response.get_json()["code"]) == (404, "not_found")
    assert sql("SELECT status FROM platform.test_gateway_payment_intents") == [("requires_action",)]


def test_an_intent_not_waiting_for_authentication_is_a_conflict(app, client):
    intent = _intent_waiting_for_authentication(app)
    client.post(AUTHENTICATE.format(intent.id), json={"client_secret": intent.client_secret, "approve": True})

    again = client.post(AUTHENTICATE.format(intent.id), json={"client_secret": intent.client_secret,
                                                               "approve": False})

    assert (again.status_code, again.get_json()["code"]) == (409, "illegal_transition")


def test_an_answer_without_its_fields_is_a_validation_error(client):
    response = client.post(AUTHENTICATE.format("pi_1"), json={"approve": "maybe"})

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"client_secret", "approve"}
