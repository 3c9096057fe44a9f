#!/bin/sh
# Installs the real PKCS#11 and TPM 2.0 stacks the hardware-key tests run against (Debian 12
# packages). Idempotent: does nothing when every tool is already there. Exits non-zero with one
# clear line when it cannot install (not root, no apt-get, a package failed); the tests then fail
# with that line, they never skip.
set -u
need=""
[ -e /usr/lib/softhsm/libsofthsm2.so ] || need="$need softhsm2"
command -v swtpm >/dev/null 2>&1 || need="$need swtpm"
command -v swtpm_setup >/dev/null 2>&1 || need="$need swtpm-tools"
command -v tpm2_startup >/dev/null 2>&1 || need="$need tpm2-tools"
ls /usr/lib/*/libtpm2_pkcs11.so* >/dev/null 2>&1 || need="$need libtpm2-pkcs11-1"
command -v tpm2_ptool >/dev/null 2>&1 || need="$need libtpm2-pkcs11-tools"
ls /usr/lib/*/libtss2-tcti-swtpm.so* >/dev/null 2>&1 || need="$need libtss2-tcti-swtpm0"
# swtpm has three transient object slots and no resource manager: tpm2_ptool runs out of them without
# tpm2-abrmd (on its own D-Bus session bus in the tests), as /dev/tpmrm0 does for a real TPM.
command -v tpm2-abrmd >/dev/null 2>&1 || need="$need tpm2-abrmd"
ls /usr/lib/*/libtss2-tcti-tabrmd.so* >/dev/null 2>&1 || need="$need libtss2-tcti-tabrmd0"
command -v dbus-daemon >/dev/null 2>&1 || need="$need dbus"
# pkcs11-tool: an independent look at the key objects (sensitive, never extractable).
command -v pkcs11-tool >/dev/null 2>&1 || need="$need opensc"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "hardware-key tests need these Debian packages:$need (run: sudo apt-get install -y$need)" >&2
  exit 2
fi
echo "installing Debian packages for the hardware-key tests:$need" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq $need; } >/tmp/popw-hwkeys-apt.log 2>&1; then
  echo "apt-get install$need failed (log: /tmp/popw-hwkeys-apt.log): $(tail -n 1 /tmp/popw-hwkeys-apt.log)" >&2
  exit 3
fi
exit 0
