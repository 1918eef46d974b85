"""CrossGuard entry point: `pulumi preview --policy-pack policies` runs this file.

Kept thin on purpose: the rules and their metadata live in imaging_policies/ (one file per
policy) and are the same functions `imaging-cloud audit` runs offline; enforcement levels
come from pack-config.yaml. PolicyPack starts pulumi-policy's gRPC server and never returns.
"""

from pulumi_policy import PolicyPack

from imaging_policies.engine import pack_arguments

arguments = pack_arguments()
PolicyPack(
    name=arguments["name"],
    policies=arguments["policies"],
    enforcement_level=arguments["enforcement_level"],
    initial_config=arguments["initial_config"],
)
