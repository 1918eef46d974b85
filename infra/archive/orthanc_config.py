"""Plain helpers for the vna-archive chart's Secrets (no Pulumi imports).

The chart never holds credentials: it mounts a Secret key holding Orthanc's registered users
next to the rendered orthanc.json. ``registered_users_document`` builds that key's content, so
the Pulumi component and the tests produce exactly the same format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

# Orthanc uses HTTP Basic: a colon cannot appear in a user name, and control characters or
# surrounding spaces in either field are almost always a copy-paste accident.
_USER = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MIN_PASSWORD_LENGTH = 16


def registered_users_document(users: Mapping[str, str]) -> str:
    """Content of the users Secret key: ``{"RegisteredUsers": {user: password}}`` as JSON.

    Raises ValueError, naming the offending user, for an empty mapping, a user name Orthanc's
    Basic authentication cannot carry, or a password shorter than 16 characters.
    """
    if not users:
        raise ValueError("registered users: at least one user is needed, or nobody can use the archive")
    for user, password in users.items():
        if not _USER.match(user):
            raise ValueError(f"registered users: {user!r} is not a valid user name (letters, digits, . _ @ -, at most 64)")
        if len(password) < MIN_PASSWORD_LENGTH or password != password.strip():
            raise ValueError(
                f"registered users: the password of {user!r} must have at least {MIN_PASSWORD_LENGTH} "
                "characters and no surrounding spaces"
            )
    return json.dumps({"RegisteredUsers": dict(sorted(users.items()))}, indent=2) + "\n"
