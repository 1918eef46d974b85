# Local toolchain (Pulumi CLI, Python language host, Kubernetes provider plugin, kube-apiserver,
# kube-controller-manager, kine) built from Go modules, and a local control plane for tests.
# Included from the top-level Makefile. Versions: tools/toolchain/versions.env.
#
#   make toolchain       build into ~/.cache/imaging-cloud/toolchain/<key>/ (reused), link .toolchain/bin,
#                        install the kubernetes plugin into $(TOOLCHAIN_PULUMI_HOME)
#   make toolchain-env   print the exports to use it:  eval "$$(make -s toolchain-env)"
#   make cluster-up / cluster-down / cluster-status / cluster-purge
#
# Use from recipes: $(TOOLCHAIN_ENV) pulumi ...   (PATH, PULUMI_HOME, no update check/auto plugins)

TOOLCHAIN_BIN         ?= $(CURDIR)/.toolchain/bin
TOOLCHAIN_PULUMI_HOME ?= $(CURDIR)/.local/pulumi-home
CLUSTER_KUBECONFIG    ?= $(CURDIR)/.local/cluster/kubeconfig
TOOLCHAIN_ENV = PATH="$(TOOLCHAIN_BIN):$$PATH" PULUMI_HOME="$(TOOLCHAIN_PULUMI_HOME)" \
	PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

.PHONY: toolchain toolchain-check toolchain-env cluster-up cluster-down cluster-status cluster-purge up-local down-local

toolchain:
	PULUMI_HOME="$(TOOLCHAIN_PULUMI_HOME)" scripts/toolchain.sh build

toolchain-check:
	scripts/toolchain.sh check

toolchain-env:
	@PULUMI_HOME="$(TOOLCHAIN_PULUMI_HOME)" scripts/toolchain.sh env

cluster-up:
	scripts/cluster.sh up

cluster-down:
	scripts/cluster.sh down

cluster-status:
	scripts/cluster.sh status

cluster-purge:
	scripts/cluster.sh purge

# The dev stack through the real engine on the local control plane (see scripts/up-local.sh).
up-local: venv toolchain cluster-up
	scripts/up-local.sh

# Destroy what up-local created and stop the control plane. Archives are protected: an
# operator removes one deliberately with `pulumi state unprotect <urn>` first.
down-local:
	-PATH="$(TOOLCHAIN_BIN):$$PATH" PULUMI_HOME="$(TOOLCHAIN_PULUMI_HOME)" PULUMI_BACKEND_URL="file://$(CURDIR)/.local/state" \
	  PULUMI_CONFIG_PASSPHRASE_FILE="$(CURDIR)/.local/dev-passphrase" PULUMI_SKIP_UPDATE_CHECK=true \
	  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
	  pulumi destroy --yes -s dev --config-file .local/Pulumi.dev.yaml --non-interactive; \
	  git checkout -- stacks/Pulumi.dev.yaml 2>/dev/null || true
	scripts/cluster.sh down
