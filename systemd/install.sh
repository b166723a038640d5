#!/usr/bin/env bash
# Installs readpoint as a systemd service from its npm package (the tarball `npm pack` makes):
# `npm install -g --prefix` of that tarball, then the unit, udev rules and system files from the
# installed package. Run it as root; see systemd/README.md. Running it again with a newer tarball
# updates the code and the system files and keeps the technician's config and the outbox.
set -euo pipefail
umask 022

usage() {
  cat <<'EOF'
Usage: systemd/install.sh [--root DIR] [--prefix DIR] [--node PATH] [--offline] [TARBALL]

  TARBALL          readpoint-<version>.tgz to install; default: `npm pack` of the checkout this
                   script is in, as built (run npm ci && npm run build there first)
  --root DIR       install into DIR as if it were / (an image being built, a test); default /
  --prefix DIR     where the code goes (npm's global layout: bin/, lib/node_modules/readpoint);
                   default /opt/readpoint
  --node PATH      the node binary the unit runs; default: node on PATH (Node.js 20 or newer)
  --offline        take the dependencies from npm's cache only (an earlier install of readpoint
                   by this user filled it); default: npm's cache first, the registry for the rest
EOF
}

fail() {
  echo "install.sh: $*" >&2
  exit 1
}

root=/
prefix=/opt/readpoint
node=
tarball=
cache=--prefer-offline
given="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || fail "--root needs a directory"; root=$2; shift 2 ;;
    --prefix) [ $# -ge 2 ] || fail "--prefix needs a directory"; prefix=$2; shift 2 ;;
    --node) [ $# -ge 2 ] || fail "--node needs a path"; node=$2; shift 2 ;;
    --offline) cache=--offline; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; fail "unknown option: $1" ;;
    *) [ -z "$tarball" ] || fail "one tarball at a time (got $tarball and $1)"; tarball=$1; shift ;;
  esac
done

[ "$(id -u)" -eq 0 ] || fail "must run as root (it creates a system user and writes to /etc): sudo $0 $given"
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

# Paths end up in the unit file: keep them plain.
plain_path() { [[ $2 =~ ^/[A-Za-z0-9._/+-]*$ && ! $2 =~ (^|/)\.\.(/|$) ]] || fail "$1 must be an absolute path of letters, digits and . _ - + / (got '$2')"; }
[ -d "$root" ] || fail "--root $root is not a directory: create it first"
root=$(cd "$root" && pwd -P)
plain_path --prefix "$prefix"
prefix=${prefix%/}
[ -n "$prefix" ] || fail "--prefix must not be /"
dest=${root%/}$prefix
pkg=$prefix/lib/node_modules/readpoint
installed=${root%/}$pkg
[ "$(realpath -m "$dest")" != "$src" ] || fail "--prefix is this checkout itself: install somewhere else (default /opt/readpoint)"
# npm replaces what it installed there: the prefix must be new, empty, or an earlier install
# (of this layout, or of the earlier one that had the package's files right in the prefix).
is_readpoint() { grep -q '"name": "readpoint"' "$1/package.json" 2>/dev/null; }
earlier_layout=no
is_readpoint "$dest" && earlier_layout=yes
if [ -d "$dest" ] && [ -n "$(ls -A "$dest")" ] && ! is_readpoint "$installed" && [ $earlier_layout = no ]; then
  fail "--prefix $prefix holds other files and no readpoint install: choose a new or empty directory (default /opt/readpoint)"
fi

if [ -n "$tarball" ]; then
  [ -f "$tarball" ] || fail "no such tarball: $tarball"
  tarball=$(realpath "$tarball")
else
  [ -f "$src/dist/daemon/cli/main.js" ] || fail "no tarball given and no build in $src/dist: run npm ci && npm run build first, or pass readpoint-<version>.tgz"
fi
if [ -z "$node" ]; then
  node=$(command -v node) || fail "node not found on PATH: install Node.js 20 or newer, or pass --node /path/to/node"
fi
plain_path --node "$node"
[ -x "$node" ] || fail "--node $node is not an executable file"
node_major=$("$node" -p 'process.versions.node.split(".")[0]' 2>/dev/null) || fail "$node does not run: pass --node /path/to/node"
[ "$node_major" -ge 20 ] || fail "$node is Node.js $node_major; readpoint needs 20 or newer"
# The unit hides home directories (ProtectHome=yes): a node from nvm under /root or /home cannot start there.
hidden() { case "$1/" in /home/* | /root/* | /run/user/*) return 0 ;; *) return 1 ;; esac; }
if hidden "$(realpath -m "$node")"; then
  fail "node ($node) lives under /home, /root or /run/user, which the unit hides (ProtectHome=yes): install Node.js system-wide (Debian: apt-get install nodejs) or pass --node"
fi
hidden "$prefix" && fail "--prefix $prefix is under /home, /root or /run/user, which the unit hides (ProtectHome=yes): use /opt/readpoint"
command -v npm >/dev/null || fail "npm not found: install it (Debian: apt-get install npm)"

did() { echo "  $*"; }

# 1. The code: the npm package, installed the way npm installs any tool.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$tarball" ]; then
  # As built: packing must not rebuild the checkout as root under its owner's feet.
  (cd "$src" && npm pack --ignore-scripts --pack-destination "$work" --loglevel=error >/dev/null) ||
    fail "npm pack in $src failed (see above)"
  tarball=$(ls "$work"/readpoint-*.tgz)
fi
echo "Installing $(basename "$tarball") into ${root%/}/ (prefix $prefix)"
mkdir -p "$dest"
(cd "$work" && npm install -g --prefix "$dest" "$cache" --no-audit --no-fund --loglevel=error "$tarball") ||
  fail "npm install of $tarball into $prefix failed (see above): check that the npm registry is reachable, or leave out --offline"
version=$("$node" -p 'require(process.argv[1]).version' "$installed/package.json")
did "readpoint $version in $pkg, with its production dependencies (npm install -g --prefix $prefix)"
if [ $earlier_layout = yes ]; then
  (cd "$dest" && rm -rf dist config daemon systemd node_modules package.json package-lock.json README.md)
  did "the earlier install's files in $prefix (dist, node_modules, ...) removed"
fi

# Root runs this code (readpoint on PATH, the unit's ExecStartPre): whoever made the prefix or
# owned the files the package came from must not be able to change it afterwards.
chown -R -h root:root "$dest"
chmod -R go-w "$dest"
did "$prefix owned by root, writable by root only"

# 2. The system files.
install -D -m 0644 /dev/null "$root/etc/systemd/system/readpoint.service"
sed -e "s#/usr/bin/node#$node#g" -e "s#/opt/readpoint#$prefix#g" "$installed/systemd/readpoint.service" \
  >"$root/etc/systemd/system/readpoint.service"
did "/etc/systemd/system/readpoint.service (node $node)"
install -D -m 0644 "$installed/systemd/61-readpoint.rules" "$root/etc/udev/rules.d/61-readpoint.rules"
did "/etc/udev/rules.d/61-readpoint.rules"
install -D -m 0644 "$installed/systemd/readpoint.sysusers" "$root/etc/sysusers.d/readpoint.conf"
install -D -m 0644 "$installed/systemd/readpoint.tmpfiles" "$root/etc/tmpfiles.d/readpoint.conf"
install -D -m 0644 "$installed/systemd/readpoint.modules" "$root/etc/modules-load.d/readpoint.conf"
did "/etc/sysusers.d, /etc/tmpfiles.d and /etc/modules-load.d/readpoint.conf"
mkdir -p "$root/usr/local/bin"
ln -sfn "$prefix/bin/readpoint" "$root/usr/local/bin/readpoint"
did "/usr/local/bin/readpoint -> $prefix/bin/readpoint"

# 3. The user, the config and the directories. Never overwrite a technician's files.
systemd-sysusers --root="$root" "$root/etc/sysusers.d/readpoint.conf"
did "system user readpoint (member of dialout)"
mkdir -p "$root/etc/readpoint"
if [ -e "$root/etc/readpoint/readpoint.yaml" ]; then
  did "/etc/readpoint/readpoint.yaml kept (it exists)"
else
  cp "$installed/config/example.yaml" "$root/etc/readpoint/readpoint.yaml"
  did "/etc/readpoint/readpoint.yaml from config/example.yaml: edit it"
fi
if [ ! -e "$root/etc/readpoint/readpoint.env" ]; then
  cp "$installed/systemd/readpoint.env.example" "$root/etc/readpoint/readpoint.env"
  did "/etc/readpoint/readpoint.env for secrets (empty)"
fi
systemd-tmpfiles --root="$root" --create "$root/etc/tmpfiles.d/readpoint.conf"
did "/etc/readpoint (root:readpoint 0750), /var/lib/readpoint (readpoint 0750)"

# 4. Tell the running system, when there is one.
if [ "$root" = / ]; then
  if command -v modprobe >/dev/null; then
    modprobe -a usbserial cdc_acm 2>/dev/null || echo "install.sh: note: could not load usbserial/cdc_acm now; they load at the next boot" >&2
  fi
  if command -v udevadm >/dev/null; then
    udevadm control --reload && udevadm trigger --action=change --subsystem-match=tty --subsystem-match=usb || true
    did "udev rules reloaded"
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    did "systemd reloaded"
  fi
fi

cat <<EOF

Next:
  1. Edit /etc/readpoint/readpoint.yaml (readers, read points, uplink); put secrets such as
     UPLINK_PASSWORD=... in /etc/readpoint/readpoint.env. \`readpoint ports\` lists the readers.
  2. Check it:  sudo sh -c 'set -a; . /etc/readpoint/readpoint.env; readpoint check --config /etc/readpoint/readpoint.yaml'
  3. Start it:  sudo systemctl enable --now readpoint && journalctl -u readpoint -f -o cat
EOF
