"""The policy model shared by the CrossGuard pack and the offline audit.

A policy is plain data (id, severity, controls, remediation) plus one plain function:

* a resource check ``check(resource, ctx) -> Iterable[str]`` yields one message per
  violation, each naming the field to fix;
* a stack check ``check(stack, ctx) -> Iterable[tuple[str, str | None]]`` yields
  ``(message, urn)`` pairs (``urn`` None when the stack as a whole is at fault).

Both raise :class:`NotApplicable` when there is nothing for them to judge. Nothing here
imports Pulumi: :mod:`imaging_policies.engine` adapts these functions to pulumi-policy's
``ResourceValidationPolicy``/``StackValidationPolicy`` and the audit calls them directly
on a rendered ``plan.json``, so both paths run the same code on the same shapes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from imaging_policies.controls import Control

SEVERITIES = ("low", "medium", "high", "critical")
LEVELS = ("advisory", "mandatory", "disabled")
#: How the offline renderer (and the engine adapter) write values that are not plain.
SECRET = "[secret]"
UNKNOWN = "[unknown]"


class NotApplicable(Exception):
    """Raised by a check that has nothing to judge (the reason says why)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def is_unknown(value: Any) -> bool:
    """True for a value only known at deploy time; checks never fail on those."""
    return value == UNKNOWN


def dig(value: Any, *path: str | int, default: Any = None) -> Any:
    """``value[path[0]][path[1]]...`` that tolerates missing keys and wrong shapes."""
    for key in path:
        if isinstance(key, int):
            if not isinstance(value, list) or not -len(value) <= key < len(value):
                return default
        elif not isinstance(value, Mapping) or key not in value:
            return default
        value = value[key]
    return value


def _group_kind_from(type_token: str, props: Mapping[str, Any]) -> tuple[str, str]:
    """(API group, kind) of a Kubernetes resource, '' group for the core API."""
    api_version, kind = props.get("apiVersion"), props.get("kind")
    if isinstance(api_version, str) and isinstance(kind, str) and not is_unknown(kind):
        return (api_version.rsplit("/", 1)[0] if "/" in api_version else ""), kind
    parts = type_token.split(":")
    if len(parts) == 3 and parts[0] == "kubernetes":
        module = parts[1]
        group = module.rsplit("/", 1)[0] if "/" in module else module
        return ("" if group == "core" else group), parts[2]
    return "", ""


class Resource:
    """One resource as a policy sees it: type, inputs and the options that matter.

    ``gk`` is the kubectl-style group-kind (``Deployment.apps``, ``Namespace`` for the core
    API, ``Release.helm.sh`` for Helm releases); non-Kubernetes resources use their type
    token. ``retain_on_delete`` is None where it cannot be known (the real engine does not
    pass it to analyzers). ``secrets_marked`` tells whether secret values can be told from
    plain ones (true in a rendered plan, where they read ``[secret]``).
    """

    __slots__ = (
        "urn", "type", "name", "props", "protect", "retain_on_delete", "provider", "parent",
        "custom", "read", "secrets_marked", "group", "kind", "gk", "metadata", "namespace",
        "object_name", "labels", "annotations",
    )

    def __init__(
        self,
        urn: str,
        type: str,  # noqa: A002 - the Pulumi field name
        name: str,
        props: Mapping[str, Any] | None = None,
        *,
        protect: bool = False,
        retain_on_delete: bool | None = False,
        provider: str | None = None,
        parent: str | None = None,
        custom: bool = True,
        read: bool = False,
        secrets_marked: bool = True,
    ):
        self.urn, self.type, self.name = urn, type, name
        self.props: Mapping[str, Any] = props or {}
        self.protect, self.retain_on_delete = protect, retain_on_delete
        self.provider, self.parent, self.custom, self.read = provider, parent, custom, read
        self.secrets_marked = secrets_marked
        if type.startswith("kubernetes:"):
            self.group, self.kind = _group_kind_from(type, self.props)
            self.gk = f"{self.kind}.{self.group}" if self.group else self.kind
        else:
            self.group, self.kind, self.gk = "", "", type
        meta = self.props.get("metadata")
        self.metadata: Mapping[str, Any] = meta if isinstance(meta, Mapping) else {}
        ns = self.metadata.get("namespace")
        self.namespace: str | None = ns if isinstance(ns, str) else None
        obj = self.metadata.get("name")
        self.object_name: str = obj if isinstance(obj, str) else name
        labels, annotations = self.metadata.get("labels"), self.metadata.get("annotations")
        self.labels: Mapping[str, Any] = labels if isinstance(labels, Mapping) else {}
        self.annotations: Mapping[str, Any] = annotations if isinstance(annotations, Mapping) else {}

    @property
    def display(self) -> str:
        """``Kind namespace/name`` as operators say it (or the Pulumi name)."""
        if not self.kind:
            return f"{self.type} {self.name}"
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.object_name}"

    @property
    def cluster(self) -> str:
        """Name of the cluster (its provider resource), '' when unknown."""
        if not self.provider:
            return ""
        return self.provider.split("::")[-1].removeprefix("k8s-")

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Resource({self.display!r})"


class Stack:
    """All resources of one stack, indexed once for the stack checks."""

    def __init__(self, resources: Iterable[Resource], name: str = ""):
        self.name = name
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self._by_gk: dict[str, list[Resource]] = defaultdict(list)
        for resource in self.resources:
            if not resource.read:
                self._by_gk[resource.gk].append(resource)

    def objects(self, *gks: str) -> list[Resource]:
        """Managed (not read) resources of the given group-kinds, in stack order."""
        if len(gks) == 1:
            return list(self._by_gk.get(gks[0], ()))
        return [r for gk in gks for r in self._by_gk.get(gk, ())]

    def namespaces(self) -> dict[tuple[str, str], Resource]:
        """Namespace objects by (cluster, name)."""
        return {(ns.cluster, ns.object_name): ns for ns in self.objects("Namespace")}


@dataclasses.dataclass(frozen=True)
class Context:
    """What a check may know besides the resource: the date agreements must be live on."""

    as_of: dt.date = dataclasses.field(default_factory=dt.date.today)


ResourceCheck = Callable[[Resource, Context], Iterable[str]]
StackCheck = Callable[[Stack, Context], Iterable[tuple[str, "str | None"]]]


@dataclasses.dataclass(frozen=True)
class Policy:
    """One rule and its metadata. Exactly one of ``resource_check``/``stack_check`` is set."""

    id: str
    severity: str
    description: str
    remediation: str
    controls: tuple[Control, ...]
    resource_check: ResourceCheck | None = None
    stack_check: StackCheck | None = None
    #: Group-kinds (see :class:`Resource`) a resource check looks at.
    applies_to: frozenset[str] = frozenset()
    #: How the real engine's view differs from a rendered plan, if it does.
    engine_note: str = ""
    #: Set by the registry: the policy family (sub-package) and module docstring.
    family: str = ""
    rationale: str = ""
    module: str = ""

    @property
    def kind(self) -> str:
        return "resource" if self.resource_check is not None else "stack"

    def __post_init__(self) -> None:
        if (self.resource_check is None) == (self.stack_check is None):
            raise TypeError(f"{self.id}: give exactly one of resource_check or stack_check")
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.id}: severity {self.severity!r} is not one of {SEVERITIES}")
        if self.resource_check is not None and not self.applies_to:
            raise ValueError(f"{self.id}: a resource policy must say which kinds it applies to")


def resource_policy(check: ResourceCheck, *, applies_to: Iterable[str], **metadata: Any) -> Policy:
    """Declare a resource policy (keeps the policy files short and uniform)."""
    return Policy(resource_check=check, applies_to=frozenset(applies_to), **metadata)


def stack_policy(check: StackCheck, **metadata: Any) -> Policy:
    """Declare a stack policy."""
    return Policy(stack_check=check, **metadata)
