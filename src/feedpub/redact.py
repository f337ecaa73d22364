"""What is never printed: credentials in a key, a URL's user info, a token in a URL's query.

feedpub's own config holds no secret (S3 credentials come from the AWS chain), but a
value may still carry one by accident (``https://user:password@host/``), and a key added
later may be one (``token``, ``secret``): every value shown goes through here first.
"""

from __future__ import annotations

import re
from typing import Any

SHOWN = "<redacted>"
"""What stands in for a secret."""

# Names of keys, variables and query parameters that hold credentials.
_SECRET_NAME = re.compile(
    r"secret|passw(or)?d|passphrase|token|credential|api_?key|access_?key|private_?key|signature|auth(?!ors?(?:_|\b))", re.I
)
# scheme://user:password@host: the user info, up to the last '@' before the path.
_USERINFO = re.compile(r"(?<=://)[^/?#\s]*@")
# ?name=value or &name=value, for names that look like credentials.
_QUERY = re.compile(r"([?&;])([^=&;#\s]+)=([^&;#\s]*)")


def secret_name(name: str) -> bool:
    """Whether a key or variable named ``name`` holds a credential (``AWS_SECRET_ACCESS_KEY``, ``api_token``)."""
    return bool(_SECRET_NAME.search(name))


def text(value: str) -> str:
    """``value`` with the user info of any URL in it, and credential-like query values, redacted."""
    value = _USERINFO.sub(f"{SHOWN}@", value)
    return _QUERY.sub(lambda m: f"{m[1]}{m[2]}={SHOWN}" if secret_name(m[2]) else m[0], value)


def value(name: str, item: Any) -> Any:
    """``item`` as it may be shown under the key ``name``: whole when the name says credential,
    else its text redacted (in lists and mappings too)."""
    if item is None or item == "":
        return item
    if secret_name(name):
        return SHOWN
    if isinstance(item, str):
        return text(item)
    if isinstance(item, list):
        return [value(name, x) for x in item]
    if isinstance(item, dict):
        return {k: value(str(k), x) for k, x in item.items()}
    return item
