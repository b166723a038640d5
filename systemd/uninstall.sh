#!/usr/bin/env bash
# Removes what systemd/install.sh installed. Keeps /etc/readpoint (the config) and
# /var/lib/readpoint (the outbox, which may hold events not yet delivered) unless --purge.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: systemd/uninstall.sh [--root DIR] [--prefix DIR] [--purge]

  --root DIR     the root install.sh installed into; default /
  --prefix DIR   where the code is; default: found from /usr/local/bin/readpoint, else /opt/readpoint
  --purge        also delete /etc/readpoint (config, secrets) and /var/lib/readpoint (the outbox
                 and any events in it not yet delivered)
EOF
}

fail() {
  echo "uninstall.sh: $*" >&2
  exit 1
}

root=/
prefix=
purge=no
given="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || fail "--root needs a directory"; root=$2; shift 2 ;;
    --prefix) [ $# -ge 2 ] || fail "--prefix needs a directory"; prefix=$2; shift 2 ;;
    --purge) purge=yes; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; fail "unknown option: $1" ;;
  esac
done

[ "$(id -u)" -eq 0 ] || fail "must run as root: sudo $0 $given"
[ -d "$root" ] || fail "--root $root is not a directory"
root=$(cd "$root" && pwd -P)
r=${root%/}

link="$r/usr/local/bin/readpoint"
if [ -z "$prefix" ]; then
  target=$(readlink "$link" 2>/dev/null || true)
  prefix=${target%/bin/readpoint}
  # The earlier layout linked the package's main.js right in the prefix.
  [ "$prefix" != "$target" ] || prefix=${target%/dist/daemon/cli/main.js}
  [ -n "$target" ] && [ "$prefix" != "$target" ] || prefix=/opt/readpoint
fi
[[ $prefix =~ ^/[A-Za-z0-9._/+-]*[^/]$ && ! $prefix =~ (^|/)\.\.(/|$) ]] || fail "--prefix must be an absolute path other than / (got '$prefix')"

did() { echo "  $*"; }
echo "Removing readpoint from $r/ (prefix $prefix)"

if [ "$root" = / ] && [ -d /run/systemd/system ]; then
  systemctl disable --now readpoint.service 2>/dev/null || true
  did "readpoint.service stopped and disabled"
fi

for f in /etc/systemd/system/readpoint.service /etc/udev/rules.d/61-readpoint.rules \
  /etc/sysusers.d/readpoint.conf /etc/tmpfiles.d/readpoint.conf /etc/modules-load.d/readpoint.conf; do
  if [ -e "$r$f" ]; then
    rm -f "$r$f"
    did "$f"
  fi
done
if [ -L "$link" ]; then
  rm -f "$link"
  did /usr/local/bin/readpoint
fi
# Only a directory that install.sh filled: never a wrong --prefix.
if [ -d "$r$prefix" ]; then
  grep -qs '"name": "readpoint"' "$r$prefix/lib/node_modules/readpoint/package.json" "$r$prefix/package.json" ||
    fail "$prefix does not look like a readpoint install (no lib/node_modules/readpoint/package.json): not removing it"
  rm -rf "$r$prefix"
  did "$prefix"
fi

if [ $purge = yes ]; then
  rm -rf "$r/etc/readpoint" "$r/var/lib/readpoint"
  did "/etc/readpoint and /var/lib/readpoint (config and outbox) deleted (--purge)"
else
  echo "Kept /etc/readpoint (your config and secrets) and /var/lib/readpoint (the outbox: it may hold"
  echo "events not yet delivered). Run again with --purge to delete them too."
fi
echo "Kept the readpoint system user (files may still belong to it); remove it with: userdel readpoint"

if [ "$root" = / ]; then
  if command -v udevadm >/dev/null; then udevadm control --reload || true; fi
  if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi
