"""Redaction: the one helper that strips secrets from a location before it is shown or stored.

Every place Broadsheet prints, logs or records a location (an input or output URL, a Prefect API
URL, a database connection string, a quarantine reason that quotes a URL) passes it through
:func:`redact`. Two kinds of secret are removed:

- the user information of any URL in the text (``https://user:pass@host/a.txt`` ->
  ``https://***@host/a.txt``; ``postgresql+asyncpg://user:secret@db/prefect`` ->
  ``postgresql+asyncpg://***@db/prefect``). The user name goes too: a token is often passed as
  the user name alone;
- the values of query parameters whose names say they are secret (``token``, ``key``,
  ``signature``, ``password``, AWS/GCS/Azure presigned-URL parameters ...), which become ``***``.

Everything else is left as it is, so a redacted location still says where, just not with what.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://userinfo@ : userinfo is anything up to the first "@" that contains no "/", no
# whitespace and no other delimiter of a URL's authority.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#@\s]+)@")
# name=value in a query string (or fragment), where the name looks like a credential.
_SECRET_PARAM = re.compile(
    r"(?P<lead>[?&;#](?:[A-Za-z0-9_.\-]*?)"
    r"(?:pass(?:word|wd)?|pwd|secret|token|api[_\-]?key|access[_\-]?key|key|sig|signature"
    r"|credential|auth|session|sas|code)[A-Za-z0-9_.\-]*=)"
    r"(?P<value>[^&;#\s]+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the credentials of every URL in it masked (see the module docstring)."""
    if "://" not in text and "=" not in text:
        return text  # the common case (a plain path or reason) costs one scan
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{MASK}@", text)
    return _SECRET_PARAM.sub(lambda m: f"{m['lead']}{MASK}", text)


def has_secret(text: str) -> bool:
    """Whether :func:`redact` would change ``text``."""
    return redact(text) != text
