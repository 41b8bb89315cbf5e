#!/usr/bin/env bash
# Install what building and testing parley needs, from Debian's packages.
# Run as root (or with sudo available). Safe to run again.
set -euo pipefail
PKGS=(build-essential cmake pkg-config clang git ca-certificates
      libuv1-dev libcurl4-openssl-dev libjansson-dev libh2o-dev libyaml-dev
      libsqlite3-dev sqlite3 libssl-dev libicu-dev openssl libnats-dev nats-server libcmocka-dev zlib1g curl
      python3 python3-pytest python3-jsonschema valgrind libclang-rt-14-dev
      libunistring-dev libstemmer-dev prometheus libcld2-dev
      gnuplot-nox python3-selenium python3-matplotlib chromium chromium-driver wrk
      libsystemd-dev systemd man-db mandoc groff-base)
# npm runs at build time (lexicons/); any node/npm on PATH will do, and a
# non-Debian node (e.g. nodesource, which bundles npm) must not be replaced.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
