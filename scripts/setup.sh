#!/usr/bin/env bash
# Set up everything gaiml needs on a fresh Debian machine: system packages, a virtual
# environment in .venv with the project, its test tools and the data-generation tools.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=()
for list in scripts/apt-packages.txt training/apt-packages.txt; do
  [ -f "$list" ] && while read -r pkg; do
    [ -n "$pkg" ] && [ "${pkg#\#}" = "$pkg" ] && apt_packages+=("$pkg")
  done < "$list"
done
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -U pip
synth=()
[ -f training/requirements-synth.txt ] && synth=(-r training/requirements-synth.txt)
.venv/bin/pip install -q --disable-pip-version-check -e ".[test]" "${synth[@]}"
# torch must be the CPU build: a CUDA one means a looser requirement slipped in somewhere.
.venv/bin/python -c "import sys, torch; sys.exit('torch is a CUDA build' if torch.version.cuda else 0)"

# --- Label Studio for the active-learning loop (gaiml al; tests/test_annotate_loop.py) ---------
# In its OWN venv: the server pins ~150 packages (Django 5.2, ...) that must not meet the project's.
# ~80 s and ~1 GB, once; the project talks to it with label-studio-sdk from .venv.
if [ ! -x .venv-ls/bin/label-studio ]; then
  python3 -m venv .venv-ls
  .venv-ls/bin/pip install -q --disable-pip-version-check label-studio==1.23.2
fi
# -----------------------------------------------------------------------------------------------

echo "gaiml is set up in .venv"
