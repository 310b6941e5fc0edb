# HoodCloud Infra: the two commands of the README are `make preview` and `make test`.
SHELL := /bin/bash
GO    ?= go
STACK ?= demo

# Validators the tests run (each test fails in CI, rather than skipping, when its tool is missing).
APT_PACKAGES   := shellcheck cloud-init bats systemd openssh-client curl nats-server python3 iptables xz-utils openssl caddy
COMPOSE_PLUGIN := $(HOME)/.docker/cli-plugins/docker-compose

# Go-built tools the tests run (actionlint, from the Go module proxy), cached per version.
ACTIONLINT_VERSION := v1.7.12
TOOLS_BIN          := $(HOME)/.cache/hoodcloud-tools/bin

# The real Pulumi engine's toolchain (pulumi CLI, provider plugins, stand-ins): scripts/engine-toolchain.sh.
ENGINE_DIR ?= $(HOME)/.cache/hoodcloud-engine/toolchain

.PHONY: test deps apt-tools compose-plugin go-tools engine-toolchain fmt-check vet unit bench preview rehearse rehearsal-tools

## test: install what the tests need, then formatting, vet and every test (Docker and the real engine included).
test: deps fmt-check vet unit

deps: apt-tools compose-plugin go-tools engine-toolchain

## go-tools: actionlint (the workflows' linter), built once per version.
go-tools:
	@[ -x "$(TOOLS_BIN)/actionlint-$(ACTIONLINT_VERSION)" ] || { \
	  GOBIN="$(TOOLS_BIN)/.build" $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION) && \
	  mv "$(TOOLS_BIN)/.build/actionlint" "$(TOOLS_BIN)/actionlint-$(ACTIONLINT_VERSION)"; }
	@ln -sf "actionlint-$(ACTIONLINT_VERSION)" "$(TOOLS_BIN)/actionlint"

## engine-toolchain: the pulumi CLI and plugins the engine tests run (cold: about 15 minutes; then cached).
engine-toolchain:
	@scripts/engine-toolchain.sh "$(ENGINE_DIR)" >/dev/null

apt-tools:
	@missing=""; \
	for tool in shellcheck cloud-init bats systemd-analyze ssh-keygen curl nats-server python3 iptables xz openssl caddy; do \
	  command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing validators (missing:$$missing)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

## compose-plugin: the Compose v2 CLI plugin, built from source (Debian ships only docker-compose 1.29).
compose-plugin:
	@docker compose version >/dev/null 2>&1 || .ci/install-compose-plugin.sh "$(COMPOSE_PLUGIN)"

fmt-check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

vet:
	$(GO) vet ./...

# HOODCLOUD_REQUIRE_ENGINE: the engine tests fail, rather than skip, without the toolchain.
unit:
	PATH="$(TOOLS_BIN):$$PATH" HOODCLOUD_ENGINE_DIR="$(ENGINE_DIR)" HOODCLOUD_REQUIRE_ENGINE=1 $(GO) test -count=1 -timeout 20m ./...

## bench: the mocked whole-program benchmark quoted in the README.
bench:
	$(GO) test -run '^$$' -bench . -benchtime 200x ./stacks/

## preview: `pulumi preview --diff` of STACK (default: demo, which needs no account) on a local file backend.
## With the Pulumi CLI and its Go language host installed it is plain `pulumi preview`; without them (as on
## machines with no internet) the same program runs through the Automation API (cmd/preview) with the
## engine toolchain. Both check first, in seconds, that the stack has every secret and credential it needs.
preview:
	@if command -v pulumi >/dev/null 2>&1 && command -v pulumi-language-go >/dev/null 2>&1; then \
	  scripts/preview-cli.sh "$(STACK)"; \
	else \
	  echo "no pulumi CLI with pulumi-language-go: previewing through the Automation API (engine toolchain in $(ENGINE_DIR))"; \
	  $(GO) run ./cmd/preflight -stack "$(STACK)" >/dev/null && \
	  scripts/engine-toolchain.sh "$(ENGINE_DIR)" >/dev/null && \
	  HOODCLOUD_ENGINE_DIR="$(ENGINE_DIR)" $(GO) run ./cmd/preview -stack "$(STACK)"; \
	fi

## rehearse: the program for real on this machine (package rehearsal): STACK=staging (one server) or
## STACK=prod (two), servers as containers booted from the program's own user data, real SSH, the real
## command, tls and vault plugins. Opt-in, not part of `make test` (minutes; see the README).
rehearse: STACK = staging
rehearse: deps rehearsal-tools
	HOODCLOUD_ENGINE_DIR="$(ENGINE_DIR)" HOODCLOUD_COMPOSE_PLUGIN="$$(docker info --format '{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}')" \
	  $(GO) test -count=1 -timeout 60m -v ./rehearsal -rehearse -stack "$(STACK)"

## rehearsal-tools: debootstrap (the rehearsal's server image, from this machine's Debian archive),
## dpkg-scanpackages (the image's local archive) and a static busybox (the shell and wget of the stand-in
## images of the bundles' services).
rehearsal-tools:
	@command -v debootstrap >/dev/null 2>&1 && command -v dpkg-scanpackages >/dev/null 2>&1 && dpkg-query -W -f='$${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap dpkg-dev busybox-static >/dev/null; }
