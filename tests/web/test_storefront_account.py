"""The buyer's account pages: name, password, and the address book."""
from __future__ import annotations

from playwright.sync_api import expect

from marketplace.addresses.services import list_addresses
from marketplace.core.pagination import PageRequest
from tests.conftest import PASSWORD
from tests.web.browser import assert_accessible
from tests.web.conftest import log_in

NEW_PASSWORD = "a brand new passphrase"


def fill_address(page, **values) -> None:
    labels = {"name": "Recipient's name", "line1": "Street and number", "city": "City", "region": "State, province or region",
              "postal_code": "Postal code", "country": "Country code"}
    for name, value in values.items():
        page.get_by_label(labels[name]).fill(value)


def test_a_bad_address_is_answered_beside_its_fields_and_saves_nothing(page, app, account):
    user_id = account("ada@example.com")
    log_in(page, "ada@example.com", next_path="/account/addresses/new")
    fill_address(page, name="", line1="1 Main St", city="Springfield", postal_code="ABCDE", country="US")
    page.get_by_role("button", name="Save address").click()
    expect(page.locator("#name-errors")).to_have_text("Length must be between 1 and 120.")
    assert page.get_by_label("Recipient's name").get_attribute("aria-invalid") == "true"
    assert_accessible(page)

    page.get_by_label("Recipient's name").fill("Ada Lovelace")
    page.get_by_role("button", name="Save address").click()
    expect(page.locator("#postal_code-errors")).to_be_visible()  # the country's rules, from the address service
    expect(page.locator("#region-errors")).to_be_visible()
    expect(page.get_by_label("City")).to_have_value("Springfield")  # what was typed stays
    with app.app_context():
        assert list_addresses(user_id, PageRequest(1, 10)).total == 0


def test_addresses_are_added_edited_made_default_and_deleted(page, app, account):
    user_id = account("ada@example.com")
    log_in(page, "ada@example.com", next_path="/account/addresses")
    expect(page.get_by_text("You have no saved address yet.")).to_be_visible()
    assert_accessible(page)
    for name, street in (("Ada Lovelace", "Rua das Flores 12"), ("Ada at work", "Avenida da Liberdade 1")):
        page.get_by_role("link", name="Add an address").click()
        fill_address(page, name=name, line1=street, city="Porto", postal_code="4050-262", country="PT")
        page.get_by_role("button", name="Save address").click()
        expect(page.get_by_text("The address is saved.")).to_be_visible()
    expect(page.locator("li", has_text="Rua das Flores 12").get_by_text("Default")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Edit the address of Ada at work, Avenida da Liberdade 1").click()
    page.get_by_label("City").fill("Lisboa")
    page.get_by_label("Postal code").fill("1250-096")
    page.get_by_role("button", name="Save address").click()
    expect(page.locator("li", has_text="Avenida da Liberdade 1").get_by_text("Lisboa")).to_be_visible()

    page.locator("li", has_text="Avenida da Liberdade 1").get_by_role("button", name="Make default").click()
    expect(page.locator("li", has_text="Avenida da Liberdade 1").get_by_text("Default")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("li", has_text="Rua das Flores 12").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("The address is deleted.")).to_be_visible()
    with app.app_context():
        [left] = list_addresses(user_id, PageRequest(1, 10)).items
    assert (left["city"], left["is_default"]) == ("Lisboa", True)


def test_another_buyers_address_cannot_be_opened_or_deleted(page, app, account):
    from marketplace.addresses.services import add_address
    owner_id = account("owner@example.com")
    with app.app_context():
        address = add_address(owner_id, {"name": "Owner", "line1": "Rua 1", "line2": "", "city": "Porto",
                                         "region": "", "postal_code": "4050-262", "country": "PT", "phone": None})
    account("other@example.com")
    log_in(page, "other@example.com")
    assert page.goto(f"/account/addresses/{address['id']}/edit").status == 404
    with app.app_context():
        assert list_addresses(owner_id, PageRequest(1, 10)).total == 1


def test_the_buyer_changes_name_and_password_with_errors_beside_the_fields(page, account):
    account("ada@example.com")
    log_in(page, "ada@example.com", next_path="/account")
    assert_accessible(page)
    page.get_by_label("Full name").fill("Ada King")
    page.get_by_role("button", name="Save name").click()
    expect(page.get_by_text("Your name is saved.")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Ada King")

    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#password-current_password-errors")).to_have_text("Does not match your password.")
    assert_accessible(page)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    log_in(page, "ada@example.com", NEW_PASSWORD, next_path="/account")
    assert page.url.endswith("/account")
