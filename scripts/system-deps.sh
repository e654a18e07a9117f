#!/usr/bin/env bash
# System packages the tests need: Chromium (browser tests), CUPS with a PDF queue (printing tests),
# libcups2-dev (to build pycups), the DejaVu fonts labels are set in, PostgreSQL when none runs.
# Installed when missing and running as root;
# otherwise this says exactly what to install.
set -euo pipefail
packages=(chromium cups cups-bsd printer-driver-cups-pdf libcups2-dev fonts-dejavu-core fonts-dejavu-extra)
# PostgreSQL (the tests' throwaway cluster), only when no server answers on 127.0.0.1:5432 and
# KIOSK_TEST_POSTGRES_URL names none.
if [ -z "${KIOSK_TEST_POSTGRES_URL:-}" ] && ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  packages+=(postgresql)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "The tests need these system packages, which are not installed:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
