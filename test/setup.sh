#!/usr/bin/env bash
# Makes sure the tools the integration tests drive are on this machine: socat (pseudo-terminals
# standing in for serial readers), mosquitto (the central broker), openssl (TLS certificates),
# systemd-analyze (checks the unit file), systemd-notify/-sysusers/-tmpfiles (the service seam and
# systemd/install.sh), rabbitmq-server (a clustered central broker, started as nodes of its own),
# perl (a notify socket: node cannot bind unix datagram sockets) and setpriv
# (install.sh run as another user); the last two are essential on Debian; chromium (the console's
# browser test). Installs them with
# apt-get when run as root; otherwise says exactly what to install and fails, so no test is ever
# skipped for a missing tool.
set -euo pipefail
need=()
command -v socat >/dev/null || need+=(socat)
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v mosquitto_passwd >/dev/null || [ -x /usr/bin/mosquitto_passwd ] || need+=(mosquitto)
command -v openssl >/dev/null || need+=(openssl)
compgen -G '/usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin/rabbitmq-server' >/dev/null || need+=(rabbitmq-server)
command -v systemd-analyze >/dev/null || need+=(systemd)
for tool in systemd-notify systemd-sysusers systemd-tmpfiles; do command -v $tool >/dev/null || need+=(systemd); done
command -v perl >/dev/null || need+=(perl-base)
command -v setpriv >/dev/null || need+=(util-linux)
# The web console's browser test drives Debian's Chromium (playwright-core downloads no browser).
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "test/setup.sh: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The mosquitto package starts a system broker on :1883; the tests run their own on free ports.
  (systemctl stop mosquitto || service mosquitto stop || true) >/dev/null 2>&1
  # So does rabbitmq-server (node `rabbit` on :5672 with the package's own epmd); the tests start
  # their own nodes, and a service left running would only take memory from them.
  (systemctl disable --now rabbitmq-server || service rabbitmq-server stop || true) >/dev/null 2>&1
else
  echo "test/setup.sh: the tests need: ${need[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${need[*]}) and run npm test again." >&2
  exit 1
fi
