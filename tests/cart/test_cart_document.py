"""The OpenAPI document tells clients about the guest cart's header wherever it is read or sent."""
from __future__ import annotations


def test_every_cart_operation_documents_the_cart_token_header_and_keeps_its_own_parameters(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    cart_paths = {path: item for path, item in paths.items() if path.startswith("/api/v1/cart")}
    assert {path: [parameter["name"] for parameter in item["parameters"] if parameter["in"] == "header"]
            for path, item in cart_paths.items()} == {path: ["X-Cart-Token"] for path in cart_paths}
    assert [parameter["name"] for parameter in paths["/api/v1/cart"]["get"]["parameters"]] == ["country"]
    assert "X-Cart-Token" in paths["/api/v1/cart/lines"]["post"]["responses"]["201"]["headers"]
    assert [parameter["name"] for parameter in paths["/api/v1/auth/token"]["post"]["parameters"]] == ["X-Cart-Token"]
