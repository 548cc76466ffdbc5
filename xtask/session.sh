#!/usr/bin/env bash
# The desktop session of `cargo xtask test`. cargo xtask runs it as
#
#   xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- keyctl session - bash xtask/session.sh
#
# so it has a private X server ($DISPLAY), a private D-Bus session bus and a fresh kernel session
# keyring. It unlocks gnome-keyring with a throwaway password in throwaway XDG directories, proves
# that the display, the secret service, the session keyring and the notification bus all work, then
# runs every Rust test and the botocore suite.
#
# Promises: each stage is framed by `xtask-session: begin STAGE` and `xtask-session: STAGE exit RC`
# lines (cargo xtask reads them); every stage runs even when an earlier one failed; the exit status
# is non-zero when any stage failed; nothing it starts outlives the session (gnome-keyring-daemon and
# dunst die with the bus), and the throwaway directories it made are removed.
#
# Environment, all set by cargo xtask: CARGO_TARGET_DIR, XTASK_PYTHON (the venv's python),
# AWS_EMULATOR_BIN, XDG_DATA_HOME/XDG_CACHE_HOME/XDG_CONFIG_HOME/XDG_STATE_HOME (throwaway).
# Run by hand (inside the same wrapper), it makes and removes its own throwaway XDG directories.
# Arguments: the stages to run (default: desktop cargo-test botocore).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${XTASK_THROWAWAY_HOME:-}" ]; then
  XTASK_THROWAWAY_HOME="$(mktemp -d -t connect-launcher-session.XXXXXX)"
  trap 'rm -rf "$XTASK_THROWAWAY_HOME"' EXIT
  export XDG_DATA_HOME="$XTASK_THROWAWAY_HOME/data" XDG_CACHE_HOME="$XTASK_THROWAWAY_HOME/cache" \
    XDG_CONFIG_HOME="$XTASK_THROWAWAY_HOME/config" XDG_STATE_HOME="$XTASK_THROWAWAY_HOME/state"
  mkdir -p "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME" "$XDG_STATE_HOME"
fi
case "${XDG_DATA_HOME:-}" in
  "$XTASK_THROWAWAY_HOME"/*) ;;
  *) echo "session.sh: XDG_DATA_HOME is not a throwaway directory; refusing to create a keyring in it" >&2; exit 2 ;;
esac

# Secret Service: a login collection created and unlocked with a throwaway password. The keyring file
# lives in the throwaway XDG_DATA_HOME, so the password can never mismatch an older one.
# When it fails, the desktop stage says so and the other stages still run.
password="session-$$-$RANDOM$RANDOM"
if keyring_env="$(printf '%s' "$password" | gnome-keyring-daemon --unlock --components=secrets)"; then
  eval "$keyring_env"
  export GNOME_KEYRING_CONTROL
else
  echo "session.sh: gnome-keyring-daemon --unlock failed"
fi

# Proves that everything later tests rely on is there, and says which part is missing when not.
check_desktop() {
  local ok=0 secret got key=""
  if [ -z "${DISPLAY:-}" ] || ! xdpyinfo >/dev/null 2>&1; then
    echo "desktop check: no X server answers on DISPLAY='${DISPLAY:-}' (not inside xvfb-run?)"; ok=1
  fi
  if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
    echo "desktop check: no D-Bus session bus (not inside dbus-run-session?)"; ok=1
  fi
  secret="self-check-$RANDOM$RANDOM"
  if printf '%s' "$secret" | secret-tool store --label='connect-launcher session self-check' \
      service connect-launcher-self-check account ci \
    && got="$(secret-tool lookup service connect-launcher-self-check account ci)" \
    && [ "$got" = "$secret" ] \
    && secret-tool clear service connect-launcher-self-check account ci; then
    echo "desktop check: secret service store/lookup/clear round trip ok"
  else
    echo "desktop check: the secret service is not usable (gnome-keyring locked or not running)"; ok=1
  fi
  if key="$(keyctl add user connect-launcher-self-check "$secret" @s)" \
    && [ "$(keyctl pipe "$key")" = "$secret" ]; then
    echo "desktop check: kernel session keyring round trip ok"
  else
    echo "desktop check: the kernel session keyring is not usable (not inside keyctl session?)"; ok=1
  fi
  [ -z "${key:-}" ] || keyctl unlink "$key" @s >/dev/null 2>&1 || true
  # Calling the notification server makes D-Bus activate one (dunst) and answers once it is up.
  if dbus-send --session --print-reply --reply-timeout=10000 --dest=org.freedesktop.Notifications \
      /org/freedesktop/Notifications org.freedesktop.Notifications.GetServerInformation >/dev/null; then
    echo "desktop check: notification server answers on the session bus"
  else
    echo "desktop check: no notification server on the session bus (is dunst installed?)"; ok=1
  fi
  return "$ok"
}

run_cargo_tests() {
  cargo test --workspace --no-fail-fast
}

run_botocore() {
  local python="${XTASK_PYTHON:-python3}"
  if ! command -v "$python" >/dev/null; then
    echo "no Python at $python: run \`cargo xtask test\` without --no-install once to make the venv"
    return 1
  fi
  PYTHONDONTWRITEBYTECODE=1 "$python" -m pytest -q -p no:cacheprovider --color=no tests/botocore
}

# Stops the notification server D-Bus activated, so that it does not complain when the bus goes.
stop_notification_server() {
  local pid
  pid="$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.Notifications 2>/dev/null \
    | awk '{print $2}')" || return 0
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
}

failed=0
stage() {
  local name="$1"; shift
  echo "xtask-session: begin $name"
  local rc=0
  "$@" || rc=$?
  echo "xtask-session: $name exit $rc"
  [ "$rc" -eq 0 ] || failed=$((failed + 1))
}

stages=("$@")
[ "${#stages[@]}" -gt 0 ] || stages=(desktop cargo-test botocore)
for s in "${stages[@]}"; do
  case "$s" in
    desktop) stage desktop check_desktop ;;
    cargo-test) stage cargo-test run_cargo_tests ;;
    botocore) stage botocore run_botocore ;;
    *) echo "session.sh: unknown stage '$s' (known: desktop cargo-test botocore)" >&2; exit 2 ;;
  esac
done
stop_notification_server
[ "$failed" -eq 0 ]
