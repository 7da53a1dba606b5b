#!/usr/bin/env bash
# Installs the system tools the test suite talks to for real: the age CLI (interop checks),
# GnuPG (PGP keys), git (git integration), openssl (a test certificate for the SOPS oracle), tmux
# and vi (editor tests in a real terminal), chromium (renders the HTML report of `hush audit`
# headless) and moto_server (a local AWS KMS endpoint). Real SOPS itself comes from
# scripts/fetch-sops-oracle.mjs,
# which `pnpm test` runs.
# Tests never skip when one is missing: they fail and name what to install.
set -euo pipefail

missing_apt=()
command -v age >/dev/null 2>&1 || missing_apt+=(age)
command -v gpg >/dev/null 2>&1 || missing_apt+=(gnupg)
command -v git >/dev/null 2>&1 || missing_apt+=(git)
command -v ssh-keygen >/dev/null 2>&1 || missing_apt+=(openssh-client)
command -v openssl >/dev/null 2>&1 || missing_apt+=(openssl)
[ -x /usr/bin/chromium ] || missing_apt+=(chromium)
# A real terminal and a real editor for the editor tests (test/workflows/editor-terminal.test.ts).
command -v tmux >/dev/null 2>&1 || missing_apt+=(tmux)
command -v vi >/dev/null 2>&1 || missing_apt+=(vim)

if [ ${#missing_apt[@]} -gt 0 ]; then
  echo "installing: ${missing_apt[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing_apt[@]}" >/dev/null
fi

if ! command -v moto_server >/dev/null 2>&1; then
  echo "moto_server is missing; trying: pip install 'moto[server]'"
  pip install --quiet 'moto[server]' || echo "could not install moto[server]: the KMS tests will fail and say so"
fi
echo "test tools: age $(age --version 2>/dev/null), $(gpg --version | head -1), $(git --version), $(tmux -V), moto_server $(command -v moto_server >/dev/null && echo present || echo MISSING)"
