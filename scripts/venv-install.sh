#!/bin/sh
# Usage: venv-install.sh PYTHON VENV REQUIREMENT...
#
# Creates the virtual environment VENV (with PYTHON) when it is missing, then installs the
# requirements into it (pip's syntax: `-e .`, `-e '.[test]'`). The installer is uv when one
# is at hand (UV, else `uv` on PATH, else one in the venv), or, when none is, uv fetched into
# the venv from PyPI by pip: uv resolves and installs in parallel, in a few seconds where
# pip takes tens of seconds. pip is the fallback whenever uv cannot be had or fails (no
# network to PyPI, a pip-only index). STELLAR_INSTALLER=pip skips uv altogether.
# Bytecode is not compiled at install time (Python compiles each module on first import).
set -eu

python=$1
venv=$2
shift 2
py=$venv/bin/python
quiet_pip="-q --disable-pip-version-check --no-compile"

find_uv() {
  [ "${STELLAR_INSTALLER:-}" = pip ] && return 1
  for candidate in "${UV:-}" "$(command -v uv 2>/dev/null || true)" "$venv/bin/uv"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      uv=$candidate
      return 0
    fi
  done
  return 1
}

# This Python's pip can install into another environment (pip >= 22.3): the venv then
# needs no pip of its own.
system_pip_targets() {
  "$python" -m pip --help 2>/dev/null | grep -q -- --python
}

pip_install() {
  if [ -x "$venv/bin/pip" ]; then
    "$py" -m pip install $quiet_pip "$@"
  elif system_pip_targets; then
    "$python" -m pip --python "$py" install $quiet_pip "$@"
  else
    "$py" -m ensurepip -q --default-pip
    "$py" -m pip install $quiet_pip "$@"
  fi
}

uv=
find_uv || true
if [ ! -x "$py" ]; then
  if [ -n "$uv" ] && "$uv" venv -q --python "$python" "$venv"; then
    :
  elif system_pip_targets; then
    "$python" -m venv --without-pip "$venv"
  else
    "$python" -m venv "$venv"
  fi
fi

if [ -z "$uv" ] && [ "${STELLAR_INSTALLER:-}" != pip ]; then
  if pip_install uv >/dev/null 2>&1; then
    uv=$venv/bin/uv
  else
    echo "uv could not be installed: installing with pip" >&2
  fi
fi

if [ -n "$uv" ]; then
  if "$uv" pip install -q --python "$py" "$@"; then
    exit 0
  fi
  echo "uv failed: installing with pip" >&2
fi
pip_install "$@"
