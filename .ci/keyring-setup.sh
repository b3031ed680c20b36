#!/usr/bin/env bash
# The Debian packages for the Secret Service tests: the tests start their own private D-Bus session and
# gnome-keyring-daemon (tests/EncryptedStore.Tests/Keys/Sources/SecretServiceSession.cs), so nothing is started here.
set -euo pipefail
need=()
command -v dbus-daemon >/dev/null || need+=(dbus)
command -v dbus-launch >/dev/null || need+=(dbus-x11)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v secret-tool >/dev/null || need+=(libsecret-tools)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
dbus-daemon --version | head -1
gnome-keyring-daemon --version
