"""Entry point of the Pulumi program (``main: infra/`` in Pulumi.yaml)."""

from infra.program import main

main()
