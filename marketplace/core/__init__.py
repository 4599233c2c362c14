"""Infrastructure shared by every area: caches, errors, pagination, logging, the OpenAPI document, ..."""
