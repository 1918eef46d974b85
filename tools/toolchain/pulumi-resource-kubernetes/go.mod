// Wrapper module: builds github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes.
// Versions must match tools/toolchain/versions.env (checked by scripts/toolchain.sh).
//
// scripts/toolchain.sh copies the provider module out of GOMODCACHE into a writable
// directory ("src" next to a copy of this file, in the toolchain cache), drops its
// "sdk/v4 => ../sdk" replace (sdk/v4 is then taken at the version its go.mod requires),
// generates schema-embed.json / terraform-mapping-embed.json with upstream's generate.go,
// and builds with -modfile pointing here. The ./src replace below is relative to that
// build directory, not to this folder.
module imaging-cloud.local/toolchain/pulumi-resource-kubernetes

go 1.26

require github.com/pulumi/pulumi-kubernetes/provider/v4 v4.0.0-20260115033456-f47bc2d6f199

replace github.com/pulumi/pulumi-kubernetes/provider/v4 => ./src
