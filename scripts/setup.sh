#!/usr/bin/env bash
# Set up everything gaiml needs on a fresh Debian machine: system packages, a virtual
# environment in .venv with the project, its test tools and the data-generation tools, and
# Label Studio in its own .venv-ls. Each step says what it installs and how long it took.
# `bash scripts/setup.sh --list-apt-packages` prints the Debian packages (each once) and exits.
set -euo pipefail
cd "$(dirname "$0")/.."

step_started=$SECONDS
step() {  # step N/M "what": announce a step; the previous one's time is printed by done_step
  step_started=$SECONDS
  echo "[$1] $2"
}
done_step() {
  echo "      done in $((SECONDS - step_started)) s"
}

# --- 1. Debian packages: each package once, whichever lists name it ------------------------------
apt_packages=()
declare -A seen=()
for list in scripts/apt-packages.txt training/apt-packages.txt; do
  [ -f "$list" ] || continue
  while read -r pkg; do
    pkg="${pkg%%#*}"; pkg="${pkg//[[:space:]]/}"
    [ -n "$pkg" ] && [ -z "${seen[$pkg]:-}" ] && seen[$pkg]=1 && apt_packages+=("$pkg")
  done < "$list"
done
if [ "${1:-}" = "--list-apt-packages" ]; then  # what step 1 would install, each once
  printf '%s\n' "${apt_packages[@]}"
  exit 0
fi
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  step 1/4 "Debian packages (apt-get, a minute or two): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  done_step
else
  step 1/4 "Debian packages: all ${#apt_packages[@]} present (${apt_packages[*]})"
fi

# --- 2. The project's virtual environment ----------------------------------------------------------
if [ -x .venv/bin/python ]; then
  step 2/4 "Python environment .venv: present"
else
  step 2/4 "Python environment .venv: creating"
  python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -U pip

# --- 3. gaiml and its dependencies ---------------------------------------------------------------
synth=()
[ -f training/requirements-synth.txt ] && synth=(-r training/requirements-synth.txt)
step 3/4 "gaiml (editable) with its test tools${synth:+ and the data-generation tools (training/requirements-synth.txt)}: torch (CPU build), transformers, FastAPI, uvicorn, pdfplumber, RapidOCR, python-docx, label-studio-sdk, pytest, ... (pip, a few minutes the first time)"
.venv/bin/pip install -q --disable-pip-version-check -e ".[test]" "${synth[@]}"
# torch must be the CPU build: a CUDA one means a looser requirement slipped in somewhere.
.venv/bin/python -c "import sys, torch; sys.exit('torch is a CUDA build' if torch.version.cuda else 0)"
done_step

# --- 4. Label Studio for the active-learning loop (gaiml al; tests/test_annotate_loop.py) ---------
# In its OWN venv: the server pins ~150 packages (Django 5.2, ...) that must not meet the project's.
# ~80 s and ~1 GB, once; the project talks to it with label-studio-sdk from .venv.
if [ -x .venv-ls/bin/label-studio ]; then
  step 4/4 "Label Studio 1.23.2 in .venv-ls: present"
else
  step 4/4 "Label Studio 1.23.2 in its own environment .venv-ls (pip, ~80 s and ~1 GB, once)"
  python3 -m venv .venv-ls
  .venv-ls/bin/pip install -q --disable-pip-version-check label-studio==1.23.2
  done_step
fi
# -----------------------------------------------------------------------------------------------

echo "gaiml is set up in .venv: try .venv/bin/gaiml extract ../shared/seeds/raw/002_94824f8011a9565a.txt"
