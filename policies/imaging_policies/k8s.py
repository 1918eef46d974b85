"""Reading Kubernetes shapes: pod templates, containers, NetworkPolicy peers, Orthanc config.

Every helper tolerates partial or unknown values: a check must report a missing field as a
violation, never crash on it.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from imaging_policies.conventions import ARCHIVE_APP, ARCHIVE_APP_LABEL, NAMESPACE_NAME_LABEL
from imaging_policies.core import NotApplicable, Resource, dig, is_unknown

WORKLOAD_KINDS = frozenset({
    "Pod", "Deployment.apps", "StatefulSet.apps", "DaemonSet.apps", "ReplicaSet.apps",
    "Job.batch", "CronJob.batch",
})
NETWORK_POLICY = "NetworkPolicy.networking.k8s.io"
RELEASE = "Release.helm.sh"
ROLE_KINDS = frozenset({"Role.rbac.authorization.k8s.io", "ClusterRole.rbac.authorization.k8s.io"})
BINDING_KINDS = frozenset({"RoleBinding.rbac.authorization.k8s.io", "ClusterRoleBinding.rbac.authorization.k8s.io"})
CAPI_CLUSTER = "Cluster.cluster.x-k8s.io"
CNPG_CLUSTER = "Cluster.postgresql.cnpg.io"
OBJECT_BUCKET_CLAIM = "ObjectBucketClaim.objectbucket.io"
CEPH_OBJECT_STORE = "CephObjectStore.ceph.rook.io"
CONTROL_PLANE_TEMPLATE = "KubeadmControlPlaneTemplate.controlplane.cluster.x-k8s.io"


# ---- workloads --------------------------------------------------------------------------

def pod_spec(resource: Resource) -> tuple[str, Mapping[str, Any]] | None:
    """(field path, pod spec) of a workload, or None for other kinds."""
    if resource.gk == "Pod":
        path = ("spec",)
    elif resource.gk == "CronJob.batch":
        path = ("spec", "jobTemplate", "spec", "template", "spec")
    elif resource.gk in WORKLOAD_KINDS:
        path = ("spec", "template", "spec")
    else:
        return None
    spec = dig(resource.props, *path)
    return ".".join(path), (spec if isinstance(spec, Mapping) else {})


def containers(pod_path: str, pod: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(field path, container) for init, regular and ephemeral containers."""
    for field in ("initContainers", "containers", "ephemeralContainers"):
        items = pod.get(field)
        if not isinstance(items, list):
            continue
        for index, container in enumerate(items):
            if isinstance(container, Mapping):
                yield f"{pod_path}.{field}[{index}]", container


def container_name(container: Mapping[str, Any]) -> str:
    name = container.get("name")
    return f" (container {name!r})" if isinstance(name, str) else ""


def effective(pod: Mapping[str, Any], container: Mapping[str, Any], field: str) -> Any:
    """A securityContext field as the kubelet applies it: the container's, else the pod's."""
    value = dig(container, "securityContext", field)
    return dig(pod, "securityContext", field) if value is None else value


# ---- images -----------------------------------------------------------------------------

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def split_image(image: str) -> tuple[str, str, str | None, str | None]:
    """(registry, repository, tag, digest) of an image reference.

    The first path segment is a registry only if it looks like a host (has a dot or a
    port, or is ``localhost``), as the container runtimes decide; otherwise the image
    comes from Docker Hub.
    """
    digest = None
    if "@" in image:
        image, digest = image.split("@", 1)
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "docker.io", image
    tag = None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, tag = path.rsplit(":", 1)
    return registry, path, tag, digest


# ---- network policies -------------------------------------------------------------------

def rules(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, int, Mapping[str, Any]]]:
    """(direction, field path, index, rule) for each ingress/egress rule of a policy spec."""
    for direction, key in (("ingress", "from"), ("egress", "to")):
        items = spec.get(direction)
        if isinstance(items, list):
            for index, rule in enumerate(items):
                if isinstance(rule, Mapping):
                    yield direction, f"spec.{direction}[{index}]", index, rule


def peers(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(direction, field path, peer) for every peer of every rule."""
    for direction, path, _, rule in rules(spec):
        key = "from" if direction == "ingress" else "to"
        items = rule.get(key)
        if isinstance(items, list):
            for index, peer in enumerate(items):
                if isinstance(peer, Mapping):
                    yield direction, f"{path}.{key}[{index}]", peer


def named_namespaces(selector: Any) -> set[str] | None:
    """The namespaces a selector names through ``kubernetes.io/metadata.name`` only.

    None when the selector uses anything else (other labels, NotIn, Exists, or nothing at
    all, which selects every namespace).
    """
    if not isinstance(selector, Mapping):
        return None
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, Mapping) or not isinstance(expressions, list):
        return None
    if not match_labels and not expressions:
        return None
    names: set[str] | None = None
    for key, value in match_labels.items():
        if key != NAMESPACE_NAME_LABEL or not isinstance(value, str):
            return None
        names = {value} if names is None else names & {value}
    for expression in expressions:
        if not isinstance(expression, Mapping) or expression.get("key") != NAMESPACE_NAME_LABEL:
            return None
        if expression.get("operator") != "In" or not isinstance(expression.get("values"), list):
            return None
        values = {v for v in expression["values"] if isinstance(v, str)}
        names = values if names is None else names & values
    return names


def selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Whether a label selector matches a label set (empty selector: everything)."""
    if not isinstance(selector, Mapping):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        if not isinstance(expression, Mapping):
            return False
        key, operator = expression.get("key"), expression.get("operator")
        values = expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def peer_namespaces(
    peer: Mapping[str, Any], own_namespace: str, known: Mapping[str, Mapping[str, Any]]
) -> set[str]:
    """Namespaces a peer admits: its own namespace without a namespaceSelector, the named
    ones for a metadata.name selector, else those of ``known`` (name -> labels) it matches."""
    if "ipBlock" in peer:
        return set()
    if "namespaceSelector" not in peer:
        return {own_namespace}
    selector = peer["namespaceSelector"]
    named = named_namespaces(selector)
    if named is not None:
        return named
    return {
        name for name, labels in known.items()
        if selects(selector, {**labels, NAMESPACE_NAME_LABEL: name})
    }


def private_network(cidr: str) -> bool | None:
    """True for RFC 1918 / ULA / loopback networks, False for anything routable, None if invalid."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    return network.is_private and not network.is_unspecified and network.prefixlen > 0


# ---- Orthanc ----------------------------------------------------------------------------

_LINE_COMMENT = re.compile(r'^\s*//.*$', re.MULTILINE)
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


@functools.lru_cache(maxsize=512)
def _parse_orthanc(text: str) -> dict[str, Any] | str:
    """Orthanc's configuration is JSON that may carry comments; returns the dict or an error."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        try:
            value = json.loads(_BLOCK_COMMENT.sub("", _LINE_COMMENT.sub("", text)))
        except json.JSONDecodeError as error:
            return f"is not valid JSON ({error.msg} at line {error.lineno})"
    return value if isinstance(value, dict) else "is not a JSON object"


def orthanc_configs(resource: Resource) -> Iterator[tuple[str, dict[str, Any] | str]]:
    """(field path, parsed config or error text) of each Orthanc configuration in a ConfigMap.

    A ConfigMap holds one when its key is ``orthanc.json``, or when it belongs to the
    vna-archive chart and the key is a ``.json`` file.
    """
    if resource.gk != "ConfigMap":
        return
    data = resource.props.get("data")
    if not isinstance(data, Mapping):
        return
    archive = resource.labels.get(ARCHIVE_APP_LABEL) == ARCHIVE_APP
    for key, text in data.items():
        if key == "orthanc.json" or (archive and key.endswith(".json")):
            if isinstance(text, str) and not is_unknown(text):
                yield f"data[{key!r}]", _parse_orthanc(text)


def orthanc_configs_or_skip(resource: Resource) -> list[tuple[str, dict[str, Any] | str]]:
    """:func:`orthanc_configs` for a policy: not applicable when the resource holds none."""
    configs = list(orthanc_configs(resource))
    if not configs:
        raise NotApplicable("holds no Orthanc configuration")
    return configs


# ---- Helm releases ----------------------------------------------------------------------

def chart_name(release: Resource) -> str:
    """Base name of a release's chart (``oci://host/charts/falco`` -> ``falco``)."""
    chart = release.props.get("chart")
    if not isinstance(chart, str):
        return ""
    return chart.rstrip("/").rsplit("/", 1)[-1].split(":", 1)[0]


def release_namespace(release: Resource) -> str:
    namespace = release.props.get("namespace")
    return namespace if isinstance(namespace, str) else ""


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (path, leaf) of a nested structure, paths like ``a.b[2].c``."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from walk(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")
    else:
        yield path, value


def restricted_pod(resource: Resource) -> tuple[str, Mapping[str, Any]]:
    """(path, pod spec) of a workload held to Pod Security "restricted".

    Raises NotApplicable in the privileged platform namespaces, whose exception is checked
    by ``namespace-pod-security-enforced``.
    """
    from imaging_policies.conventions import PRIVILEGED_NAMESPACES
    from imaging_policies.core import NotApplicable

    if resource.namespace in PRIVILEGED_NAMESPACES:
        raise NotApplicable(f"{resource.namespace} is a privileged platform namespace")
    found = pod_spec(resource)
    if found is None:
        raise NotApplicable("not a workload")
    return found


# ---- credentials ------------------------------------------------------------------------

#: Environment variable names that hold a credential (matched at the end of the name).
CREDENTIAL_ENV = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|SECRET|SECRET_KEY|SECRET_ACCESS_KEY|TOKEN|API_?KEY|ACCESS_KEY|ACCESS_KEY_ID"
    r"|PRIVATE_KEY|CREDENTIALS?)$"
)
#: Configuration keys that hold a credential (last key segment, any case).
CREDENTIAL_KEY = re.compile(
    r"(password|passwd|passphrase|secret|secretkey|secret_key|secretaccesskey|token|apikey|api_key|accesskey"
    r"|access_key|accesskeyid|privatekey|private_key|credentials?)$",
    re.IGNORECASE,
)


def is_credential_key(key: str) -> bool:
    key = key.rsplit(".", 1)[-1]
    key = re.sub(r"\[.*?\]$", "", key).strip("'\"")
    return bool(CREDENTIAL_KEY.search(key)) and not key.lower().startswith("existing")


_SECRET_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")


def names_a_secret(key: str, value: Any) -> bool:
    """A chart value such as ``securityConfigSecret: opensearch-security-config`` names a
    Secret object rather than holding a credential: a camelCase key ending in ``Secret``
    whose value is a dashed Kubernetes object name."""
    key = key.rsplit(".", 1)[-1]
    return bool(re.search(r"[a-z]Secret$", key)) and isinstance(value, str) and bool(_SECRET_NAME.match(value))


def is_placeholder(value: Any) -> bool:
    """Values that are not a credential: empty, redacted, unknown, a variable reference or a file path."""
    if value in (None, "", "[secret]") or is_unknown(value):
        return True
    # ${VAR} (Orthanc, shells), $(VAR) (Kubernetes), $__env{..}/$__file{..} (Grafana), or a path.
    return isinstance(value, str) and value.startswith(("${", "$(", "$__env{", "$__file{", "/"))
