"""The catalog API: the category tree (operators write it), each seller's products, variants, stock and imports.

Seller endpoints are for the members of the seller in the URL: every role
(staff and up) may read and write the catalog, operators may read it.
"""
from __future__ import annotations

from flask import request
from flask.views import MethodView

from marketplace.accounts.models import MemberRole
from marketplace.core import openapi_examples as examples
from marketplace.accounts.permissions import (
    current_principal, current_tenant, member_required, operator_required,
)
from marketplace.catalog import categories, imports, services
from marketplace.catalog.schemas import (
    CatalogImportSchema, CategoryChangeSchema, CategoryDeleteArgsSchema, CategoryInputSchema, CategorySchema,
    CategoryTreeSchema, ProductChangeSchema, ProductFilterSchema, ProductInputSchema, ProductSchema,
    ProductVariantSchema, StockMovementInputSchema, StockMovementSchema, VariantChangeSchema, VariantInputSchema,
)
from marketplace.core.errors import ApiError, ValidationFailed
from marketplace.core.pagination import paginated
from marketplace.core.request_parsing import Blueprint

blp = Blueprint("catalog", __name__, description="Categories, and each seller's products, variants, stock and imports")

# Ids are BIGINT: a larger number in a path is a 404 from routing, not a database error (marketplace.core.openapi).
ID = "id"
PRODUCT_PATH = f"/sellers/<slug>/products/<{ID}:product_id>"
VARIANT_PATH = f"{PRODUCT_PATH}/variants/<{ID}:variant_id>"
CSV_UPLOAD_DOC = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string",
                                                                                 "format": "binary"}}}},
}}}

catalog_reader = member_required(MemberRole.STAFF, allow_operators=True)
catalog_writer = member_required(MemberRole.STAFF)


class UnsupportedUpload(ApiError):
    status, code = 415, "unsupported_media_type"


# Categories

@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200, CategoryTreeSchema(many=True))
    def get(self):
        """The category tree

        Top-level categories with their children, siblings ordered by position.
        """
        return categories.category_tree()


@blp.route("/operator/categories")
class OperatorCategories(MethodView):
    @operator_required
    @blp.arguments(CategoryInputSchema)
    @blp.response(201, CategorySchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, category):
        """Add a category (operators)"""
        return categories.create_category(current_principal().user_id, **category)


@blp.route(f"/operator/categories/<{ID}:category_id>")
class OperatorCategory(MethodView):
    @operator_required
    @blp.arguments(CategoryChangeSchema)
    @blp.response(200, CategorySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, category_id):
        """Rename or move a category (operators)

        A move under the category itself or one of its descendants is refused (409).
        """
        return categories.change_category(current_principal().user_id, category_id, changes)

    @operator_required
    @blp.arguments(CategoryDeleteArgsSchema, location="query")
    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, args, category_id):
        """Delete a category and every category below it (operators)

        Refused (409) while products of any seller use them, unless
        `reassign_to` names a category to move those products to first.
        """
        categories.delete_category(current_principal().user_id, category_id, args.get("reassign_to"))


# Products

@blp.route("/sellers/<slug>/products")
class Products(MethodView):
    @catalog_reader
    @blp.arguments(ProductFilterSchema, location="query")
    @blp.response(200, ProductSchema(many=True), example=[examples.PRODUCT])
    @paginated(blp)
    def get(self, filters, slug, page_request):
        """The seller's products, newest first (members and operators)"""
        return services.list_products(current_tenant(), page_request, status=filters.get("status"))

    @catalog_writer
    @blp.arguments(ProductInputSchema, example=examples.PRODUCT_REQUEST)
    @blp.response(201, ProductSchema, example=examples.DRAFT_PRODUCT)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, product, slug):
        """Add a product (a draft)

        The slug must be new to the seller (409 otherwise) and the category must exist.
        """
        return services.create_product(current_tenant(), product)


@blp.route(PRODUCT_PATH)
class ProductDetail(MethodView):
    @catalog_reader
    @blp.response(200, ProductSchema, example=examples.PRODUCT)
    def get(self, slug, product_id):
        """A product with its images and variants (members and operators)"""
        return services.get_product(current_tenant(), product_id)

    @catalog_writer
    @blp.arguments(ProductChangeSchema, example=examples.PRODUCT_CHANGE)
    @blp.response(200, ProductSchema, example={**examples.PRODUCT, **examples.PRODUCT_CHANGE})
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, slug, product_id):
        """Change a product's title, slug, description, category, attributes or images

        A given image list replaces the product's images.
        """
        return services.update_product(current_tenant(), product_id, changes)

    @catalog_writer
    @blp.response(204)
    def delete(self, slug, product_id):
        """Archive a product

        Products are never erased (orders and reviews point at them); deleting
        one archives it, and deleting it again does nothing.
        """
        services.archive_product(current_tenant(), product_id)


@blp.route(f"{PRODUCT_PATH}/publish")
class PublishProduct(MethodView):
    @catalog_writer
    @blp.response(200, ProductSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, slug, product_id):
        """Publish a draft or archived product (上架)

        The product needs at least one variant; buyers see it at once.
        """
        return services.change_status(current_tenant(), product_id, "publish")


@blp.route(f"{PRODUCT_PATH}/unpublish")
class UnpublishProduct(MethodView):
    @catalog_writer
    @blp.response(200, ProductSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, slug, product_id):
        """Take a published product back to draft (下架)"""
        return services.change_status(current_tenant(), product_id, "unpublish")


@blp.route(f"{PRODUCT_PATH}/archive")
class ArchiveProduct(MethodView):
    @catalog_writer
    @blp.response(200, ProductSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, slug, product_id):
        """Archive a draft or published product"""
        return services.change_status(current_tenant(), product_id, "archive")


# Variants and stock

@blp.route(f"{PRODUCT_PATH}/variants")
class Variants(MethodView):
    @catalog_reader
    @blp.response(200, ProductVariantSchema(many=True))
    @paginated(blp)
    def get(self, slug, product_id, page_request):
        """A product's variants (members and operators)"""
        return services.list_variants(current_tenant(), product_id, page_request)

    @catalog_writer
    @blp.arguments(VariantInputSchema)
    @blp.response(201, ProductVariantSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, variant, slug, product_id):
        """Add a variant

        The SKU must be new to the seller (409); prices are integer minor units
        of the seller's currency. Stock starts at zero: record a receipt.
        """
        return services.create_variant(current_tenant(), product_id, variant)


@blp.route(VARIANT_PATH)
class VariantDetail(MethodView):
    @catalog_reader
    @blp.response(200, ProductVariantSchema)
    def get(self, slug, product_id, variant_id):
        """A variant (members and operators)"""
        return services.get_variant(current_tenant(), product_id, variant_id)

    @catalog_writer
    @blp.arguments(VariantChangeSchema)
    @blp.response(200, ProductVariantSchema)
    @blp.alt_response(409, response="CONFLICT")
    def patch(self, changes, slug, product_id, variant_id):
        """Change a variant's SKU, options, prices, weight or low-stock threshold"""
        return services.update_variant(current_tenant(), product_id, variant_id, changes)

    @catalog_writer
    @blp.response(204)
    @blp.alt_response(409, response="CONFLICT")
    def delete(self, slug, product_id, variant_id):
        """Remove a variant and its stock history

        The only variant of a published product cannot be removed (409).
        """
        services.delete_variant(current_tenant(), product_id, variant_id)


@blp.route(f"{VARIANT_PATH}/stock-movements")
class StockMovements(MethodView):
    @catalog_reader
    @blp.response(200, StockMovementSchema(many=True))
    @paginated(blp)
    def get(self, slug, product_id, variant_id, page_request):
        """A variant's stock movements, newest first (members and operators)"""
        return services.list_stock_movements(current_tenant(), product_id, variant_id, page_request)

    @catalog_writer
    @blp.arguments(StockMovementInputSchema)
    @blp.response(201, StockMovementSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, movement, slug, product_id, variant_id):
        """Record a stock movement: a receipt, an adjustment or a return

        Stock on hand never goes below zero (409). Sales and reservations are
        recorded by checkout, not through this endpoint.
        """
        return services.record_stock_movement(current_tenant(), product_id, variant_id,
                                              movement["quantity_delta"], movement["reason"], movement["note"],
                                              current_principal().user_id)


# CSV imports

@blp.route("/sellers/<slug>/product-imports")
class ProductImports(MethodView):
    @catalog_writer
    @blp.doc(**CSV_UPLOAD_DOC)
    @blp.response(202, CatalogImportSchema)
    @blp.alt_response(413, response="PAYLOAD_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self, slug):
        """Import products and variants from a CSV file

        Send the file (UTF-8, a header row first) as the `text/csv` body or as
        the `file` part of a multipart form: at most 8 MiB and 20,000 rows.
        One row per variant; rows with the same `product_slug` are one product.
        Columns: `product_slug`, `title`, `sku`, `price_amount` (required);
        `description`, `category_slug`, `status`, `attributes` (`k=v;k=v`),
        `image_url`, `compare_at_amount`, `weight_grams`, `low_stock_threshold`,
        `stock` (the level wanted) and `option:<name>` columns. Products are
        matched by slug and variants by SKU, so importing a file again updates.
        The import runs in the background: follow it at
        `/sellers/{slug}/product-imports/{id}`, which lists each bad row by line.
        """
        filename, data = _uploaded_csv()
        return imports.start_import(current_tenant(), current_principal().user_id, filename, data)


@blp.route(f"/sellers/<slug>/product-imports/<{ID}:import_id>")
class ProductImport(MethodView):
    @catalog_reader
    @blp.response(200, CatalogImportSchema)
    def get(self, slug, import_id):
        """An import's report: status, counts and each bad row with its line number"""
        return imports.get_import(current_tenant(), import_id)


def _uploaded_csv() -> tuple[str, bytes]:
    """(file name, content) of the upload: a multipart `file` part or a text/csv body."""
    # Larger than the API's usual limit, for this view only; werkzeug refuses more with a 413.
    request.max_content_length = imports.MAX_IMPORT_BYTES
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("The form has no file.", errors={"file": ["Missing data for required field."]})
        return upload.filename or "upload.csv", upload.read()
    if request.mimetype == "text/csv":
        return "upload.csv", request.get_data()
    raise UnsupportedUpload("Send the CSV file as a text/csv body or as the `file` part of multipart/form-data.")
