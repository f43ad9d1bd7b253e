#!/usr/bin/env bash
# One fedge client as an arm64 process: the linux-arm64 build on Debian's arm64 OpenJDK 17 under
# qemu-aarch64 trains one round of the mlp against a coordinator on this machine's JVM over
# mutual TLS and sends its update. See benchmarks/emulated-client.sh for modes and settings.
#
#   benchmarks/arm64-client.sh [native|fallback|host] [OUT]   (default OUT: runs/emulated-client/linux-arm64)
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/emulated-client.sh" linux-arm64 "$@"
