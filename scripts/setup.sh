#!/usr/bin/env bash
# Installs everything axe needs on a fresh Debian 12 machine, idempotently:
#  - apt: LLVM/MLIR 22 (libs, tools, lit, FileCheck), nlohmann-json, GoogleTest, Ninja, CMake, ccache,
#    the tokenizer's PCRE2 (split regex) and utf8proc (NFC), found with pkg-config, and clang 22
#    with its runtime libraries (libFuzzer, the sanitizers) for scripts/fuzz.sh, and python3.11-doc,
#    whose documentation sources are the English text the `text-trained` test model learns;
#  - a Python virtual environment in .venv with the pinned packages of requirements.txt.
# A second run finds everything in place and changes nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

apt_packages=(cmake ninja-build ccache g++ python3-venv
              llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
              nlohmann-json3-dev libgtest-dev pkg-config libpcre2-dev libutf8proc-dev
              libcpp-httplib-dev libssl-dev clang-22 libclang-rt-22-dev python3.11-doc)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi

venv="$root/.venv"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$root/requirements.txt" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: creating the Python environment in .venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$root/requirements.txt"
  echo "$want" > "$stamp"
fi
