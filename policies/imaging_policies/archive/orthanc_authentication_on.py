"""Every call to an archive's REST API and DICOMweb needs a registered user.

Orthanc without authentication serves every patient's images to anyone who can reach the
port. Remote access is only acceptable with authentication on, and the scripting and file
system endpoints that would give an authenticated user the server's own rights stay off.
"""

from __future__ import annotations

from collections.abc import Iterator

from imaging_policies.controls import ncsc, ndg
from imaging_policies.core import Context, Resource, resource_policy
from imaging_policies.k8s import orthanc_configs_or_skip

#: Features that turn an API user into someone who runs code or writes files on the server.
MUST_BE_OFF = ("ExecuteLuaEnabled", "RestApiWriteToFileSystemEnabled", "WebDavEnabled")


def check(resource: Resource, ctx: Context) -> Iterator[str]:
    for path, config in orthanc_configs_or_skip(resource):
        if isinstance(config, str):
            yield f"{path} {config}"
            continue
        if config.get("AuthenticationEnabled") is not True:
            yield f"{path}.AuthenticationEnabled is {config.get('AuthenticationEnabled')!r}: set it to true"
        for key in MUST_BE_OFF:
            if config.get(key) is True:
                yield f"{path}.{key} is true: turn it off"
        if config.get("LuaScripts"):
            yield f"{path}.LuaScripts is not empty: the archive runs no Lua"


POLICY = resource_policy(
    check,
    applies_to={"ConfigMap"},
    id="orthanc-authentication-on",
    severity="critical",
    description="Every Orthanc archive requires authentication and runs no server-side scripts.",
    remediation=(
        "1. Set AuthenticationEnabled: true and keep users in the Secret-mounted users.json.\n"
        "2. Turn off ExecuteLuaEnabled, RestApiWriteToFileSystemEnabled and WebDavEnabled; remove LuaScripts."
    ),
    controls=(ncsc(10), ncsc(9), ndg(4)),
)
