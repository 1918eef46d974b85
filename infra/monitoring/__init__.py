"""Security monitoring of the estate: the agents on every workload cluster and the national hub.

- :mod:`infra.monitoring.values` holds the reviewed Helm values (charts, pinned images,
  buffers, secrets by name) as typed, documented Python.
- :mod:`infra.monitoring.rules` loads the detection content under ``rules/`` (Falco rules
  for the agents, Sigma rules for the hub, Prometheus rules for agent health) and
  generates the per-cluster data the rules need (trust namespaces, agreement consumers).
- :mod:`infra.components.monitoring` turns both into Pulumi resources.

See ``docs/monitoring.md`` for the architecture and how an analyst traces an alert.
"""
