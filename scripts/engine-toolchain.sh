#!/usr/bin/env bash
# Makes the toolchain the engine tests (and `make preview` where no Pulumi CLI is installed) run with:
#
#   DIR/bin/pulumi                      the pulumi CLI at the version of the Go SDK in go.mod
#   DIR/bin/vault                       a Vault server binary (offline builds only; the rehearsal uses it)
#   DIR/home-real/plugins/...           the real command, tls, hcloud and vault plugins at the versions
#                                       the SDKs in go.mod expect, and the aws stand-in (no AWS here)
#   DIR/home-standin/plugins/...        the real tls plugin and the stand-ins of aws, hcloud, command and
#                                       vault (tools/standin-provider), for `up` without clouds or hosts
#   DIR/home-rehearsal/plugins/...      the real command, tls and vault plugins; the stand-ins of aws and of
#                                       hcloud, which makes servers as containers (`make rehearse`)
#
# Offline (this project's machines): everything builds from ../shared/third_party (build.sh), cached under
# $HOME/.cache/hoodcloud-engine; a cold build takes about 15 minutes on 2 cores, a warm one seconds.
# Online: set HOODCLOUD_PLUGIN_SOURCE=download and have a pulumi CLI on PATH; the plugins then come from
# `pulumi plugin install`.
#
# Usage: scripts/engine-toolchain.sh [DIR]   (DIR defaults to $HOODCLOUD_ENGINE_DIR or
#        $HOME/.cache/hoodcloud-engine/toolchain); prints DIR on stdout when done.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-${HOODCLOUD_ENGINE_DIR:-$HOME/.cache/hoodcloud-engine/toolchain}}
third_party=${HOODCLOUD_THIRD_PARTY:-$repo/../shared/third_party}
source_kind=${HOODCLOUD_PLUGIN_SOURCE:-build}
started=$SECONDS

say() { printf '== engine toolchain: %s (%ss)\n' "$*" "$((SECONDS - started))" >&2; }

# The versions the program's SDKs ask the engine for: each SDK module ships its pulumi-plugin.json.
# `go list -m` names no directory for a module not yet in the module cache (a fresh machine): download first.
module_dir() { (cd "$repo" && go mod download "$1" && go list -m -f '{{.Dir}}' "$1"); }
plugin_version() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$(find "$(module_dir "$1")" -name pulumi-plugin.json | head -n 1)"
}
pulumi_version=$(cd "$repo" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)
# One assignment each: a failing look-up stops the script (inside an array literal, set -e would not).
declare -A version=()
version[aws]=$(plugin_version github.com/pulumi/pulumi-aws/sdk/v7)
version[command]=$(plugin_version github.com/pulumi/pulumi-command/sdk)
version[tls]=$(plugin_version github.com/pulumi/pulumi-tls/sdk/v5)
version[hcloud]=$(plugin_version github.com/pulumi/pulumi-hcloud/sdk)
version[vault]=$(plugin_version github.com/pulumi/pulumi-vault/sdk/v7)
for p in "${!version[@]}"; do
	[[ "${version[$p]}" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "engine toolchain: no plugin version for $p (found '${version[$p]}')" >&2; exit 1; }
done

install_plugin() { # home name binary
	local d="$1/plugins/resource-$2-v${version[$2]}"
	rm -rf "$d" "$d.partial" "$d.lock"
	mkdir -p "$d"
	ln -f "$3" "$d/pulumi-resource-$2" 2>/dev/null || cp "$3" "$d/pulumi-resource-$2"
}

mkdir -p "$dir/bin" "$dir/home-real" "$dir/home-standin" "$dir/home-rehearsal" "$dir/standin"
stamp="$pulumi_version ${version[*]} $source_kind $(sha256sum "$0" | cut -c1-16)"
if [[ -f "$third_party/build.sh" ]]; then
	stamp+=" $(sha256sum "$third_party/build.sh" | cut -c1-16)"
fi
if [[ "$(cat "$dir/.real-stamp" 2>/dev/null)" != "$stamp" ]]; then
	case "$source_kind" in
	build)
		[[ -x "$third_party/build.sh" || -f "$third_party/build.sh" ]] || {
			echo "engine toolchain: no $third_party/build.sh; set HOODCLOUD_THIRD_PARTY, or HOODCLOUD_PLUGIN_SOURCE=download where the internet is reachable" >&2
			exit 1
		}
		say "building the pulumi CLI $pulumi_version and the command, tls, hcloud and vault plugins from $third_party (cold: about 15 minutes; cached afterwards)"
		PULUMI_VERSION=$pulumi_version bash "$third_party/build.sh" "$dir/home-real" "$dir/bin"
		;;
	download)
		command -v pulumi >/dev/null || { echo "engine toolchain: HOODCLOUD_PLUGIN_SOURCE=download needs a pulumi CLI on PATH" >&2; exit 1; }
		ln -sf "$(command -v pulumi)" "$dir/bin/pulumi"
		for p in aws command tls hcloud vault; do
			say "pulumi plugin install resource $p ${version[$p]}"
			PULUMI_HOME="$dir/home-real" pulumi plugin install resource "$p" "${version[$p]}"
		done
		;;
	*)
		echo "engine toolchain: HOODCLOUD_PLUGIN_SOURCE must be build or download, found $source_kind" >&2
		exit 1
		;;
	esac
	echo "$stamp" >"$dir/.real-stamp"
fi

# The stand-in is rebuilt on every call (Go's build cache makes an unchanged one a no-op), so an edit of
# tools/standin-provider or internal/testkit reaches the next test run.
say "building the stand-in provider"
(cd "$repo" && go build -o "$dir/standin/pulumi-resource-standin.tmp" ./tools/standin-provider)
mv "$dir/standin/pulumi-resource-standin.tmp" "$dir/standin/pulumi-resource-standin"
standin="$dir/standin/pulumi-resource-standin"
# The real aws plugin cannot be built here: offline, home-real gets the stand-in, and says so in a marker
# that cmd/preview reads (a real stack's AWS plan would be invented by it).
if [[ "$source_kind" == build ]]; then
	install_plugin "$dir/home-real" aws "$standin"
	echo "aws is the stand-in (tools/standin-provider): plans of real stacks' AWS resources are not real" >"$dir/home-real/STANDIN-AWS"
else
	rm -f "$dir/home-real/STANDIN-AWS"
fi
tls_dir="$dir/home-real/plugins/resource-tls-v${version[tls]}"
install_plugin "$dir/home-standin" tls "$tls_dir/pulumi-resource-tls"
for p in aws hcloud command vault; do
	install_plugin "$dir/home-standin" "$p" "$standin"
done
# The rehearsal's set: the real command, tls and vault plugins; the stand-in for aws, and for hcloud, whose
# servers it makes as containers (HOODCLOUD_REHEARSAL, see tools/standin-provider).
for p in command tls vault; do
	install_plugin "$dir/home-rehearsal" "$p" "$dir/home-real/plugins/resource-$p-v${version[$p]}/pulumi-resource-$p"
done
for p in aws hcloud; do
	install_plugin "$dir/home-rehearsal" "$p" "$standin"
done
say "ready in $dir"
echo "$dir"
