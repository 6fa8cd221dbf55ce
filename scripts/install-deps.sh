#!/usr/bin/env bash
# Installs the system packages mqbridge builds and tests with, on Debian or Ubuntu.
#   libzmq3-dev, libmosquitto-dev   C libraries the bridge links (found through pkg-config)
#   mosquitto, mosquitto-clients    the broker the demo and the end-to-end tests start on loopback
#   libnats-dev                     nats.c, the NATS/JetStream client library the NATS module wraps
#   nats-server                     the NATS server (run with JetStream) the NATS tests start on loopback
#   python3-zmq                     the Python worker that proves the wire protocol is language-neutral
#   python3-venv                    a virtual environment for nats-py, the Python JetStream client the tests use
#   openssl                         makes the throwaway CA and broker certificate of the TLS tests
#   iproute2                        `ip`: the network namespaces and veth links of the separate-hosts tests
# Then installs nats-py (from PyPI) into a virtual environment at .build/python-nats, made from
# /usr/bin/python3 with the system site packages visible (so python3-zmq is importable there too).
# Debian's Python is externally managed (PEP 668), so nothing is pip-installed into the system.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"

install_system_packages() {
    mapfile -t packages < "$root/scripts/packages.txt"

    missing=()
    for package in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        echo "install-deps: all system packages present"
        return 0
    fi

    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_python_nats() {
    venv="$root/.build/python-nats"
    python="$venv/bin/python"
    if "$python" -c 'import nats' >/dev/null 2>&1; then
        echo "install-deps: nats-py $("$python" -c 'import importlib.metadata as m; print(m.version("nats-py"))') present in .build/python-nats"
        return 0
    fi
    if ! "$python" -m pip --version >/dev/null 2>&1; then
        mkdir -p "$root/.build"
        /usr/bin/python3 -m venv --clear --system-site-packages "$venv"
    fi
    "$python" -m pip install --quiet --disable-pip-version-check 'nats-py==2.*'
    "$python" -c 'import nats' || { echo "install-deps: nats-py is not importable in .build/python-nats" >&2; exit 1; }
    echo "install-deps: installed nats-py $("$python" -c 'import importlib.metadata as m; print(m.version("nats-py"))') into .build/python-nats"
}

install_system_packages
install_python_nats
