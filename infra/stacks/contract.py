"""The national stack's output contract, read by region stacks through StackReference.

Keep it small and versioned: a region stack depends on these keys only.
"""

from __future__ import annotations

from typing import Any

from infra.model import Estate

CONTRACT_VERSION = 1


def hub_contract(estate: Estate) -> dict[str, Any]:
    """Non-secret facts about the national hub that every cluster's agents need."""
    domain = estate.hub.security.domain
    return {
        "contractVersion": CONTRACT_VERSION,
        "registry": estate.hub.registry,
        "domain": domain,
        "endpoints": {
            "events": f"https://events.{domain}:443",
            "logs": f"https://logs.{domain}:443",
            "metrics": f"https://metrics.{domain}:443/api/v1/write",
            "alerts": f"https://alerts.{domain}:443",
        },
        # Agents reach the hub on the management cluster's node network only.
        "networks": [estate.hub.management_cluster.node_cidr],
    }
