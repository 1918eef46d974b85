"""The CrossGuard side: wrap the plain policies for pulumi-policy (1.21).

pulumi-policy hands a validator proxied properties (reading an unknown value raises) and
drops the secret marker before any validator runs; resource options reach it without
``retainOnDelete`` (the analyzer protocol has no such field). This module turns what the
engine passes into the same :class:`Resource` the offline audit builds from plan.json:
unknown values become ``[unknown]``, ``retain_on_delete`` is None and ``secrets_marked``
False, so the checks that need those facts report "not applicable" here instead of
guessing; the offline audit (``imaging-cloud audit``) covers them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pulumi_policy as pp
from pulumi_policy.proxy import _DictProxy, _ListProxy, _is_unknown

from imaging_policies.controls import FRAMEWORKS
from imaging_policies.core import UNKNOWN, Context, NotApplicable, Policy, Resource, Stack

PROJECT = "imaging-cloud"


def plain(value: Any) -> Any:
    """Proxied property values as plain dicts/lists; unknowns become ``[unknown]``."""
    if isinstance(value, (_DictProxy, _ListProxy)):
        value = value["__target"]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(v) for v in value]
    if _is_unknown(value):
        return UNKNOWN
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire format has only doubles (pulumi#5418)
    return value


def _custom(resource_type: str) -> bool:
    return resource_type.startswith("kubernetes:") or resource_type.startswith("pulumi:providers:")


def _resource(urn, resource_type, name, props, opts, provider, parent) -> Resource:
    """A Resource from what pulumi-policy hands a validator (it shows no retainOnDelete and
    strips secret marking, hence the fixed values)."""
    return Resource(
        urn, resource_type, name, plain(props),
        protect=bool(opts.protect) if opts else False,
        retain_on_delete=None,
        provider=provider.urn if provider else None,
        parent=parent,
        custom=_custom(resource_type),
        secrets_marked=False,
    )


def resource_from_args(args: pp.ResourceValidationArgs) -> Resource:
    parent = args.opts.parent if args.opts else None
    return _resource(args.urn, args.resource_type, args.name, args.props, args.opts, args.provider, parent)


def resource_from_policy_resource(r: pp.PolicyResource) -> Resource:
    parent = r.parent.urn if r.parent else None
    return _resource(r.urn, r.resource_type, r.name, r.props, r.opts, r.provider, parent)


def engine_context() -> Context:
    """The stack's ``imaging-cloud:asOf`` config (the date agreements must be live on), else today."""
    try:
        config = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
        as_of = config.get(f"{PROJECT}:asOf")
        return Context(as_of=dt.date.fromisoformat(as_of)) if as_of else Context()
    except (ValueError, TypeError):
        return Context()


def _metadata(policy: Policy, level: str) -> dict[str, Any]:
    primary = policy.controls[0]
    framework = FRAMEWORKS[primary.framework]
    return {
        "enforcement_level": pp.EnforcementLevel(level),
        "severity": pp.Severity(policy.severity),
        "framework": pp.PolicyComplianceFramework(
            name=framework.name, version=framework.version, reference=primary.label,
            specification=framework.url,
        ),
        "tags": [f"family:{policy.family}", *(c.key for c in policy.controls)],
        "remediation_steps": policy.remediation,
        "url": framework.url,
    }


def _resource_validator(policy: Policy):
    def validate(args: pp.ResourceValidationArgs, report_violation) -> None:
        if not args.props and _custom(args.resource_type):
            return  # untargeted in a `--target` update: not deployed, nothing to judge
        resource = resource_from_args(args)
        if resource.gk not in policy.applies_to:
            return
        try:
            messages = list(policy.resource_check(resource, engine_context()))
        except NotApplicable as skipped:
            args.not_applicable(skipped.reason)
            return
        for message in messages:
            report_violation(message, None)
    return validate


def _stack_validator(policy: Policy):
    def validate(args: pp.StackValidationArgs, report_violation) -> None:
        # In a targeted update (`pulumi up --target`) the engine lists resources it is not
        # touching and has no state for with empty properties: there is nothing to judge.
        stack = Stack(resource_from_policy_resource(r) for r in args.resources
                      if r.props or not _custom(r.resource_type))
        try:
            found = list(policy.stack_check(stack, engine_context()))
        except NotApplicable as skipped:
            args.not_applicable(skipped.reason)
            return
        for message, urn in found:
            report_violation(message, urn)
    return validate


def crossguard_policies(policies: Iterable[Policy], levels: Mapping[str, str]) -> list[pp.Policy]:
    """pulumi-policy objects for ``policies`` at the given enforcement levels."""
    built: list[pp.Policy] = []
    for policy in policies:
        metadata = _metadata(policy, levels[policy.id])
        if policy.kind == "resource":
            built.append(pp.ResourceValidationPolicy(
                name=policy.id, description=policy.description, validate=_resource_validator(policy), **metadata,
            ))
        else:
            built.append(pp.StackValidationPolicy(
                name=policy.id, description=policy.description, validate=_stack_validator(policy), **metadata,
            ))
    return built


def pack_arguments(min_severity: str | None = None) -> dict[str, Any]:
    """Everything ``PolicyPack(...)`` needs, with levels from pack-config.yaml.

    ``IMAGING_POLICIES_MIN_SEVERITY`` (low/medium/high/critical) disables the policies
    below it, e.g. for a quick preview of the blocking rules only.
    """
    from imaging_policies import PACK_NAME, enforcement, registry

    policies = registry.all_policies()
    config = enforcement.load(known_ids=[p.id for p in policies]).with_selectors(
        min_severity or os.environ.get("IMAGING_POLICIES_MIN_SEVERITY") or None
    )
    levels = config.levels(policies)
    return {
        "name": PACK_NAME,
        "policies": crossguard_policies(policies, levels),
        "enforcement_level": pp.EnforcementLevel(config.default),
        "initial_config": {policy_id: pp.EnforcementLevel(level) for policy_id, level in levels.items()},
    }
