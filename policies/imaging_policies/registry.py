"""Finds the policies: one module per policy, one sub-package per family.

A module ``imaging_policies/<family>/<id_with_underscores>.py`` defines ``POLICY``; its
docstring is the rationale printed in docs/controls.md. Discovery is by walking the
family packages, so adding a file is registering a policy.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil

from imaging_policies.core import Policy

#: Families in report order.
FAMILIES = ("residency", "isolation", "workload", "supply_chain", "archive", "monitoring", "secrets", "identity")


@functools.cache
def all_policies() -> tuple[Policy, ...]:
    """Every registered policy, by family then id; raises on a duplicate id."""
    found: list[Policy] = []
    seen: dict[str, str] = {}
    for family in FAMILIES:
        package = importlib.import_module(f"imaging_policies.{family}")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            policy = getattr(module, "POLICY", None)
            if not isinstance(policy, Policy):
                raise TypeError(f"{module.__name__} defines no POLICY")
            if policy.id in seen:
                raise ValueError(f"policy id {policy.id!r} is registered by {seen[policy.id]} and {module.__name__}")
            seen[policy.id] = module.__name__
            found.append(dataclasses.replace(
                policy, family=family, module=module.__name__, rationale=" ".join((module.__doc__ or "").replace("``", "`").split()),
            ))
    return tuple(found)


def policy(policy_id: str) -> Policy:
    for candidate in all_policies():
        if candidate.id == policy_id:
            return candidate
    raise KeyError(policy_id)
