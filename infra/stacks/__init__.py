"""Stack layers: what each kind of stack builds. See docs/adr/0001-stack-layout.md.

- ``national``: the management cluster's Cluster API objects and the security hub;
  exports the contract region stacks read through StackReference.
- ``region``: one region's workload cluster contents (zones, trusts, archives,
  exchange routes, security agents).
- ``dev``: a region on a local, brought cluster, with the hub contract computed locally.
"""
