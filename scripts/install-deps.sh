#!/usr/bin/env bash
# Installs the system packages mqbridge builds and tests with, on Debian or Ubuntu.
#   libzmq3-dev, libmosquitto-dev   C libraries the bridge links (found through pkg-config)
#   mosquitto, mosquitto-clients    the broker the demo and the end-to-end tests start on loopback
#   libnats-dev                     nats.c, the NATS/JetStream client library the NATS module wraps
#   nats-server                     the NATS server (run with JetStream) the NATS tests start on loopback
#   python3-zmq                     the Python worker that proves the wire protocol is language-neutral
#   openssl                         makes the throwaway CA and broker certificate of the TLS tests
set -euo pipefail

mapfile -t packages < "$(dirname "$0")/packages.txt"

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all system packages present"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
