#!/usr/bin/env bash
# Installs a built readpoint checkout as a systemd service. Run it as root from the checkout
# (after `npm ci && npm run build`); see systemd/README.md. Running it again updates the code
# and the system files and keeps the technician's config and the outbox.
set -euo pipefail
umask 022

usage() {
  cat <<'EOF'
Usage: systemd/install.sh [--root DIR] [--prefix DIR] [--node PATH] [--copy-modules | --no-npm]

  --root DIR       install into DIR as if it were / (an image being built, a test); default /
  --prefix DIR     where the code goes; default /opt/readpoint
  --node PATH      the node binary the unit runs; default: node on PATH (Node.js 20 or newer)
  --copy-modules   copy this checkout's node_modules and drop the dev packages (no network);
                   default: npm ci --omit=dev in the prefix (needs the npm registry)
  --no-npm         leave the prefix's node_modules as it is
EOF
}

fail() {
  echo "install.sh: $*" >&2
  exit 1
}

root=/
prefix=/opt/readpoint
node=
modules=npm
given="$*"
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || fail "--root needs a directory"; root=$2; shift 2 ;;
    --prefix) [ $# -ge 2 ] || fail "--prefix needs a directory"; prefix=$2; shift 2 ;;
    --node) [ $# -ge 2 ] || fail "--node needs a path"; node=$2; shift 2 ;;
    --copy-modules) modules=copy; shift ;;
    --no-npm) modules=keep; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; fail "unknown option: $1" ;;
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
[ "$(realpath -m "$dest")" != "$src" ] || fail "--prefix is this checkout itself: install somewhere else (default /opt/readpoint)"
# Parts of the prefix are replaced on every run: it must be new, empty, or an earlier install.
if [ -d "$dest" ] && [ -n "$(ls -A "$dest")" ] && ! grep -q '"name": "readpoint"' "$dest/package.json" 2>/dev/null; then
  fail "--prefix $prefix holds other files and no readpoint install: choose a new or empty directory (default /opt/readpoint)"
fi

[ -f "$src/dist/daemon/cli/main.js" ] || fail "no build in $src/dist: run npm ci && npm run build first"
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
case $modules in
  npm) command -v npm >/dev/null || fail "npm not found: install it (Debian: apt-get install npm), or use --copy-modules or --no-npm" ;;
  copy)
    [ -d "$src/node_modules" ] || fail "no $src/node_modules to copy: run npm ci first"
    command -v npm >/dev/null || fail "npm not found (it drops the dev packages): install it or use --no-npm" ;;
esac

did() { echo "  $*"; }
echo "Installing readpoint from $src into ${root%/}/ (prefix $prefix)"

# 1. The code: what `npm pack` would ship, without the test tooling.
mkdir -p "$dest" "$dest/config" "$dest/daemon/contract"
rm -rf "$dest/dist" "$dest/systemd"
cp -a "$src/dist" "$dest/dist"
rm -rf "$dest/dist/test"
cp -a "$src/systemd" "$dest/systemd"
cp "$src"/config/*.yaml "$src/config/readpoint.schema.json" "$dest/config/"
cp "$src"/daemon/contract/*.json "$dest/daemon/contract/"
cp "$src/package-lock.json" "$src/README.md" "$dest/"
# No lifecycle scripts in the installed manifest: `prepare` would build with dev tools.
"$node" -e '
  const fs = require("fs");
  const [from, to] = process.argv.slice(1);
  const pkg = JSON.parse(fs.readFileSync(from, "utf8"));
  delete pkg.scripts;
  fs.writeFileSync(to, JSON.stringify(pkg, null, 2) + "\n");
' "$src/package.json" "$dest/package.json"
did "code in $prefix (dist, config examples, JSON schemas, systemd files)"

case $modules in
  npm)
    (cd "$dest" && npm ci --omit=dev --no-audit --no-fund --loglevel=error) ||
      fail "npm ci in $dest failed (see above): check that the npm registry is reachable, or use --copy-modules"
    did "production node_modules from the npm registry (npm ci --omit=dev)" ;;
  copy)
    rm -rf "$dest/node_modules"
    cp -a "$src/node_modules" "$dest/node_modules"
    (cd "$dest" && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund --loglevel=error) ||
      fail "npm prune in $dest failed (see above)"
    did "production node_modules copied from this checkout" ;;
  keep)
    [ -d "$dest/node_modules" ] || echo "install.sh: note: $dest/node_modules is missing; the daemon will not start until it is installed (npm ci --omit=dev in $prefix)" >&2
    did "node_modules left as it is (--no-npm)" ;;
esac

# 2. The system files.
install -D -m 0644 /dev/null "$root/etc/systemd/system/readpoint.service"
sed -e "s#/usr/bin/node#$node#g" -e "s#/opt/readpoint#$prefix#g" "$src/systemd/readpoint.service" \
  >"$root/etc/systemd/system/readpoint.service"
did "/etc/systemd/system/readpoint.service (node $node)"
install -D -m 0644 "$src/systemd/61-readpoint.rules" "$root/etc/udev/rules.d/61-readpoint.rules"
did "/etc/udev/rules.d/61-readpoint.rules"
install -D -m 0644 "$src/systemd/readpoint.sysusers" "$root/etc/sysusers.d/readpoint.conf"
install -D -m 0644 "$src/systemd/readpoint.tmpfiles" "$root/etc/tmpfiles.d/readpoint.conf"
install -D -m 0644 "$src/systemd/readpoint.modules" "$root/etc/modules-load.d/readpoint.conf"
did "/etc/sysusers.d, /etc/tmpfiles.d and /etc/modules-load.d/readpoint.conf"
mkdir -p "$root/usr/local/bin"
ln -sfn "$prefix/dist/daemon/cli/main.js" "$root/usr/local/bin/readpoint"
did "/usr/local/bin/readpoint -> $prefix/dist/daemon/cli/main.js"

# 3. The user, the config and the directories. Never overwrite a technician's files.
systemd-sysusers --root="$root" "$root/etc/sysusers.d/readpoint.conf"
did "system user readpoint (member of dialout)"
mkdir -p "$root/etc/readpoint"
if [ -e "$root/etc/readpoint/readpoint.yaml" ]; then
  did "/etc/readpoint/readpoint.yaml kept (it exists)"
else
  cp "$src/config/example.yaml" "$root/etc/readpoint/readpoint.yaml"
  did "/etc/readpoint/readpoint.yaml from config/example.yaml: edit it"
fi
if [ ! -e "$root/etc/readpoint/readpoint.env" ]; then
  cp "$src/systemd/readpoint.env.example" "$root/etc/readpoint/readpoint.env"
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
