"""How every API view reads its arguments: webargs' Flask parser, hardened for input from anyone.

- A JSON body is parsed by orjson. The standard library's parser, which
  webargs uses, recurses once per nesting level, so 1,500 nested `[` sent
  to an unauthenticated endpoint ended in a RecursionError (a 500); orjson
  refuses such a document with a decode error, answered 400 like any
  malformed body. Bodies nested deeper than MAX_JSON_DEPTH are refused
  too: no request of this API nests that deep, and a deep document that
  passed would be stored and then fail every later read that serialises it.
- A NUL character in any text of a JSON body or the query string is a 422
  naming the field. PostgreSQL cannot store NUL in text; it reached the
  database and came back as a generic "value out of range" naming nothing.

Every area's `api.py` builds its views with this module's `Blueprint`.
"""
from __future__ import annotations

from typing import Any

import flask_smorest
import marshmallow as ma
from flask import current_app
from flask_smorest import abort
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

MAX_JSON_DEPTH = 32
NUL_MESSAGE = "Must not contain the NUL character (\\u0000)."


class HardenedParser(FlaskParser):
    def _raw_load_json(self, req) -> Any:
        if not is_json_request(req):
            return core.missing
        body = current_app.json.loads(req.get_data(cache=True))  # orjson: decode errors, never recursion
        nul_errors = _check_json_tree(body)
        if nul_errors:
            raise ma.ValidationError(nul_errors)
        return body

    def load_querystring(self, req, schema: ma.Schema) -> Any:
        nul_errors = {name: [NUL_MESSAGE] for name, value in req.args.items(multi=True)
                      if "\x00" in name or "\x00" in value}
        if nul_errors:
            raise ma.ValidationError(nul_errors)
        return super().load_querystring(req, schema)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint whose views parse arguments with HardenedParser."""

    ARGUMENTS_PARSER = HardenedParser()


def _check_json_tree(document: Any) -> dict:
    """Walk the parsed body without recursion: 400 if nested too deep, else the NUL errors by field path."""
    nul_paths: list[tuple] = []
    pending: list[tuple[Any, tuple, int]] = [(document, (), 1)]
    while pending:
        value, path, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            abort(400, message=f"The request body is nested deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    nul_paths.append((*path, key))
                else:
                    pending.append((item, (*path, key), depth + 1))
        elif isinstance(value, list):
            pending.extend((item, (*path, index), depth + 1) for index, item in enumerate(value))
        elif isinstance(value, str) and "\x00" in value:
            nul_paths.append(path)
    return _nest_errors(nul_paths)


def _nest_errors(paths: list[tuple]) -> dict:
    """Errors nested by path, as marshmallow nests them: ("images", 0, "url") -> {"images": {0: {"url": [...]}}}."""
    errors: dict = {}
    for path in paths:
        *parents, leaf = path or ("_schema",)
        node = errors
        for step in parents:
            node = node.setdefault(step, {})
        node[leaf] = [NUL_MESSAGE]
    return errors
