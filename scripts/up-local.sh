#!/usr/bin/env bash
# The dev stack through the real engine on the local control plane (make up-local):
#   toolchain (cached) -> control plane -> file backend -> preview with the policy pack
#   -> `pulumi up` of what an API server without operators can hold (tenancy, zones,
#   segmentation) -> stack outputs.
# The archives' custom resources need the CloudNativePG, Rook, cert-manager and External
# Secrets CRDs; CloudNativePG's and Rook's modules are refused by the Go module proxy, so
# they cannot be installed here (docs/adr/0005-real-engine.md).
set -euo pipefail
cd "$(dirname "$0")/.."
state=.local/state
mkdir -p "$state"
passphrase_file=.local/dev-passphrase
[ -s "$passphrase_file" ] || { head -c 24 /dev/urandom | base64 > "$passphrase_file"; chmod 600 "$passphrase_file"; }
export PATH="$PWD/.toolchain/bin:$PATH" PULUMI_HOME="$PWD/.local/pulumi-home" \
  PULUMI_BACKEND_URL="file://$PWD/$state" PULUMI_CONFIG_PASSPHRASE_FILE="$PWD/$passphrase_file" \
  PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
config=.local/Pulumi.dev.yaml
committed=$(cat stacks/Pulumi.dev.yaml)
restore() { printf '%s\n' "$committed" > stacks/Pulumi.dev.yaml; }
trap restore EXIT
[ -f "$config" ] || cp stacks/Pulumi.dev.yaml "$config"
pulumi stack select dev --non-interactive 2>/dev/null || pulumi stack init dev --non-interactive
pulumi config set --secret imaging-cloud:kubeconfig -s dev --config-file "$config" < .local/cluster/kubeconfig
echo "==> preview of the whole dev stack with the policy pack"
pulumi preview -s dev --config-file "$config" --policy-pack policies --non-interactive
echo "==> up: tenancy, zones and segmentation"
p="urn:pulumi:dev::imaging-cloud::"
pulumi up --yes -s dev --config-file "$config" --non-interactive \
  --target "${p}pulumi:providers:kubernetes::k8s-dev-london" \
  --target "${p}imaging-cloud:segmentation:PlatformZones**" \
  --target "${p}imaging-cloud:tenancy:TrustTenancy**"
pulumi stack output -s dev --json | head -40
KUBECONFIG=.local/cluster/kubeconfig kubectl get ns
echo "==> state: $state (file backend); passphrase: $passphrase_file (outside git)"
echo "==> audit report of the same stack: make audit STACK=dev -> out/audit-dev/report.html"
