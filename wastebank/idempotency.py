"""How the adapters (API and forms) name a request for ``Idempotency-Key`` replays.

A replay is the same request under the same key: the services compare a SHA-256 of
the request's canonical JSON. The API hashes the body; the HTML forms hash what they
parsed and carry a key made when the form was rendered.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from flask import request


def canonical_hash(payload: Any) -> str:
    """SHA-256 of ``payload`` as canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def request_hash() -> str:
    """The hash of the current request's JSON body: what 'the same request' means."""
    return canonical_hash(request.get_json(silent=True))


def created(obj: Any, replayed: bool) -> tuple[Any, int, dict[str, str]]:
    """A 201 answer that says whether it replays an earlier request."""
    return obj, 201, {"Idempotent-Replayed": "true" if replayed else "false"}


def new_form_key() -> str:
    """A key for a rendered form: a second submit of the same page carries the same key."""
    return f"form-{uuid.uuid4()}"
