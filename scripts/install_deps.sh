#!/bin/sh
# Installs the Debian 12 packages Systole builds and tests with. A no-op when
# everything is already there. Run as root (or with sudo available).
#   scripts/install_deps.sh              everything the builds and tests use
#   scripts/install_deps.sh PKG...       only these (scripts/quickstart.sh)
set -eu
PACKAGES="build-essential cmake ninja-build pkg-config git python3
  libflatbuffers-dev flatbuffers-compiler
  libusb-1.0-0-dev libsystemc-dev verilator libeigen3-dev
  umockdev libumockdev-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  nlohmann-json3-dev zlib1g-dev
  chromium parallel"
if [ $# -gt 0 ]; then PACKAGES="$*"; fi
missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
if [ -z "$missing" ]; then
  echo "install_deps: all packages present"
  exit 0
fi
echo "install_deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
