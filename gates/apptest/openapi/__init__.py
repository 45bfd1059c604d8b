"""An OpenAPI document as the probes need it: operations, and plausible values.

`fetch` loads the document from the running app; `operations` lists every
operation with its parameters merged and references resolved; `value` makes a
value a server should accept from a schema; `links` and `evaluate` follow one
operation's response into another's request. Callers write
`from gates.apptest import openapi` and `openapi.<name>`; the names live in
`document`, `examples` and `linking`.
"""

from __future__ import annotations

from gates.apptest.openapi.document import (
    MAX_DEPTH,
    METHODS,
    SAFE_METHODS,
    Operation,
    excluded,
    fetch,
    find,
    operations,
    requires_auth,
    resolve,
    security,
    without,
)
from gates.apptest.openapi.examples import Example, example, json_body_schema, value
from gates.apptest.openapi.linking import Link, evaluate, links, pointer

__all__ = ["MAX_DEPTH", "METHODS", "SAFE_METHODS", "Example", "Link", "Operation", "evaluate",
           "example", "excluded", "fetch", "find", "json_body_schema", "links", "operations", "pointer",
           "requires_auth", "resolve", "security", "value", "without"]
