"""The Fluent Bit Lua filter that tags records with region, cluster and trust, run in Lua 5.4.

Skipped where no Lua interpreter is installed (Debian: ``apt-get install lua5.4``).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from infra.monitoring import values

LUA = next((shutil.which(n) for n in ("lua5.4", "lua5.3", "lua") if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(LUA is None, reason="no Lua interpreter (apt-get install lua5.4)")

SETTINGS = values.AgentSettings(
    cluster="dev-london", region="london", registry="registry.imaging.nhs.uk", namespace="zone-monitoring",
    trusts={"trust-rj1": "RJ1", "trust-rjz": "RJZ"}, endpoints={}, node_cidr="10.0.0.0/22",
)

HARNESS = r"""
local function encode(v)
  local t = type(v)
  if t == "table" then
    if #v > 0 or next(v) == nil then
      local parts = {}
      for _, x in ipairs(v) do parts[#parts + 1] = encode(x) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = string.format("%q", k) .. ":" .. encode(v[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif t == "string" then
    return string.format("%q", v)
  elseif v == nil then
    return "null"
  end
  return tostring(v)
end
local code, ts, record = enrich(TAG, 1700000000, RECORD)
print(code)
print(encode(record["imaging"]))
"""


def lua_literal(value) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"[{json.dumps(k)}]={lua_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "{" + ",".join(lua_literal(v) for v in value) + "}"
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value)


def enrich(tag: str, record: dict) -> dict:
    script = values.enrich_lua(SETTINGS) + f"\nTAG = {json.dumps(tag)}\nRECORD = {lua_literal(record)}\n" + HARNESS
    out = subprocess.run([LUA, "-"], input=script, capture_output=True, text=True, timeout=30, check=True).stdout
    code, imaging = out.strip().split("\n")
    assert code == "2"
    return json.loads(imaging)


def test_container_log_gets_trust_from_pod_namespace():
    got = enrich("kube.var.log.containers.x", {"log": "hello", "kubernetes": {"namespace_name": "trust-rj1"}})
    assert got == {"region": "london", "cluster": "dev-london", "namespace": "trust-rj1", "trust": "RJ1",
                   "source": "container"}


def test_audit_event_gets_object_trust_and_actor_trusts():
    record = {"objectRef": {"namespace": "trust-rjz", "resource": "pods"},
              "user": {"username": "oidc:x@nhs.net",
                       "groups": ["oidc:imaging-cloud:RJ1:readers", "oidc:imaging-cloud:RJ1:admins",
                                  "oidc:imaging-cloud:RP4:readers", "system:authenticated"]}}
    got = enrich("audit.k8s", record)
    assert got["trust"] == "RJZ" and got["actor_trusts"] == ["RJ1", "RP4"] and got["source"] == "k8s-audit"


def test_falco_event_gets_trust_from_output_fields():
    got = enrich("falco.events", {"rule": "r", "output_fields": {"k8s.ns.name": "trust-rjz"}})
    assert got["trust"] == "RJZ" and got["source"] == "falco"


def test_platform_namespace_has_no_trust():
    got = enrich("kube.x", {"kubernetes": {"namespace_name": "zone-ingress"}})
    assert got["namespace"] == "zone-ingress" and "trust" not in got


def test_groups_without_the_prefix_are_not_trusts():
    got = enrich("audit.k8s", {"objectRef": {"namespace": "trust-rj1"},
                               "user": {"groups": ["imaging-cloud:RJZ:admins", "oidc:other:RJZ:admins"]}})
    assert "actor_trusts" not in got
