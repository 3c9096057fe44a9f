#!/bin/sh
# Starts the real token stacks the hardware-key tests and bench/run signatures use, in a directory
# of their own (nothing global is touched):
#   hwkey-stack.sh softhsm DIR LABEL PIN        a SoftHSM2 token (SOFTHSM2_CONF in DIR)
#   hwkey-stack.sh tpm DIR LABEL PIN PORT       swtpm on 127.0.0.1:PORT (control PORT+1), tpm2-abrmd on a
#                                               private D-Bus session bus, a tpm2-pkcs11 store and token
#   hwkey-stack.sh stop DIR                     stops what 'tpm' started
# Each writes DIR/env: the environment (NAME=value lines) a PKCS#11 client needs, MODULE= included.
# Installs missing Debian packages first (install-hwkey-stacks.sh). Any failure: non-zero, one line.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fail() { echo "hwkey-stack: $*" >&2; exit 1; }
cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || fail "usage: hwkey-stack.sh softhsm|tpm|stop DIR [LABEL PIN [PORT]]"
case "$cmd" in
  softhsm)
    "$here/install-hwkey-stacks.sh"
    label=$3; pin=$4
    mkdir -p "$dir/tokens"
    printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$dir" > "$dir/softhsm2.conf"
    SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "so-$pin" \
      >"$dir/init.log" 2>&1 || fail "softhsm2-util --init-token failed: $(tail -n 1 "$dir/init.log")"
    printf 'SOFTHSM2_CONF=%s/softhsm2.conf\nMODULE=/usr/lib/softhsm/libsofthsm2.so\n' "$dir" > "$dir/env"
    ;;
  tpm)
    "$here/install-hwkey-stacks.sh"
    label=$3; pin=$4; port=$5; ctrl=$((port + 1))
    mkdir -p "$dir/state" "$dir/store"
    swtpm_setup --tpm2 --tpmstate "$dir/state" --createek --overwrite >"$dir/setup.log" 2>&1 \
      || fail "swtpm_setup failed: $(tail -n 1 "$dir/setup.log")"
    swtpm socket --tpm2 --tpmstate dir="$dir/state" --server type=tcp,port="$port",bindaddr=127.0.0.1 \
      --ctrl type=tcp,port="$ctrl",bindaddr=127.0.0.1 --flags not-need-init,startup-clear --daemon --pid file="$dir/swtpm.pid" \
      --log file="$dir/swtpm.log" || fail "swtpm did not start (port $port): $(tail -n 1 "$dir/swtpm.log" 2>/dev/null)"
    dbus-daemon --session --fork --print-address=1 --print-pid=3 --nopidfile >"$dir/dbus.address" 3>"$dir/dbus.pid" \
      || fail "dbus-daemon --session did not start"
    DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$dir/dbus.address"); export DBUS_SESSION_BUS_ADDRESS
    name="com.intel.tss2.Tabrmd.popw$port"
    tpm2-abrmd --session --allow-root --tcti="swtpm:host=127.0.0.1,port=$port" --dbus-name="$name" >"$dir/abrmd.log" 2>&1 &
    echo $! > "$dir/abrmd.pid"
    tcti="tabrmd:bus_type=session,bus_name=$name"
    i=0
    until TPM2TOOLS_TCTI=$tcti tpm2_getcap properties-fixed >/dev/null 2>&1; do
      i=$((i + 1)); [ $i -lt 50 ] || fail "tpm2-abrmd did not come up: $(tail -n 1 "$dir/abrmd.log")"; sleep 0.1
    done
    export TPM2TOOLS_TCTI=$tcti TPM2_PKCS11_TCTI=$tcti TPM2_PKCS11_STORE="$dir/store"
    tpm2_ptool init --path "$dir/store" >"$dir/ptool.log" 2>&1 || fail "tpm2_ptool init failed: $(tail -n 1 "$dir/ptool.log")"
    tpm2_ptool addtoken --pid=1 --label="$label" --userpin="$pin" --sopin="so-$pin" --path "$dir/store" >>"$dir/ptool.log" 2>&1 \
      || fail "tpm2_ptool addtoken failed: $(tail -n 1 "$dir/ptool.log")"
    lib=$(ls /usr/lib/*/libtpm2_pkcs11.so.1 | head -n 1)
    # TSS2_LOG: tpm2-tss's own warnings off, as bin/popw-agent sets it. (tpm2-pkcs11 still prints its
    # own 'ERROR:' lines, which no setting silences: a wrong PIN gets two of them before our line.)
    printf 'DBUS_SESSION_BUS_ADDRESS=%s\nTPM2_PKCS11_TCTI=%s\nTPM2TOOLS_TCTI=%s\nTPM2_PKCS11_STORE=%s/store\nTSS2_LOG=all+NONE\nMODULE=%s\n' \
      "$DBUS_SESSION_BUS_ADDRESS" "$tcti" "$tcti" "$dir" "$lib" > "$dir/env"
    ;;
  stop)
    for p in abrmd swtpm dbus; do
      [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
    done
    ;;
  *) fail "unknown command '$cmd'" ;;
esac
