#!/usr/bin/env bash
# Installs what the real-editor tests (test/e2e/) need, outside the repository, and reuses it when
# present: Debian's chromium (driven by playwright-core), ripgrep, and code-server 4.100.3 (VS Code
# 1.100 in the browser; the newest code-server that runs on Node 20). Follows
# /work/shared/notes/real-vscode.md: code-server's @vscode/ripgrep dependency downloads a binary
# in its postinstall, which fails offline, so its download cache is pre-filled with a tarball of
# Debian's /usr/bin/rg.
#
# Prints the code-server binary path on its last line. Environment:
#   WAKEAUDIT_E2E_HOME  install root (default ~/.cache/wakeaudit-e2e)
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# The names @vscode/ripgrep 1.15.11 (code-server 4.100.3's pin) looks for in its cache.
RIPGREP_CACHE_NAME=vscode-ripgrep-cache-1.15.11
RIPGREP_TARBALL=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz

install_root="${WAKEAUDIT_E2E_HOME:-$HOME/.cache/wakeaudit-e2e}"
prefix="$install_root/code-server"
binary="$prefix/node_modules/code-server/out/node/entry.js"

log() { echo "e2e-setup: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1; fi
}

missing_packages=()
command -v chromium >/dev/null || missing_packages+=(chromium)
command -v rg >/dev/null || missing_packages+=(ripgrep)
# libkrb5-dev: headers for code-server's kerberos native module, built at install time.
[ -e /usr/include/krb5.h ] || [ -e /usr/include/krb5/krb5.h ] || missing_packages+=(libkrb5-dev)
if [ ${#missing_packages[@]} -gt 0 ]; then
  log "installing ${missing_packages[*]} with apt-get"
  as_root apt-get update >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y --no-install-recommends "${missing_packages[@]}" >&2
fi

if [ -f "$binary" ] && [ -f "$prefix/.installed-$CODE_SERVER_VERSION" ]; then
  log "code-server $CODE_SERVER_VERSION already in $prefix"
  echo "$binary"
  exit 0
fi

log "installing code-server $CODE_SERVER_VERSION into $prefix"
mkdir -p "$prefix"
tmp_dir="$install_root/tmp"
mkdir -p "$tmp_dir/$RIPGREP_CACHE_NAME"
staging="$(mktemp -d "$tmp_dir/rg.XXXXXX")"
cp "$(command -v rg)" "$staging/rg"
tar -C "$staging" -czf "$tmp_dir/$RIPGREP_CACHE_NAME/$RIPGREP_TARBALL" rg
rm -rf "$staging"

# A package.json of its own so npm installs into $prefix, never into the repository.
[ -f "$prefix/package.json" ] || echo '{"name":"wakeaudit-e2e-code-server","private":true}' >"$prefix/package.json"
started=$(date +%s)
# npm_config_yes: node-pty's postinstall runs `npx node-gyp`, which must not stop to ask.
(cd "$prefix" && TMPDIR="$tmp_dir" npm_config_nodedir=/usr npm_config_yes=true npm install "code-server@$CODE_SERVER_VERSION" \
  --unsafe-perm --foreground-scripts --no-audit --no-fund --no-save >&2)
touch "$prefix/.installed-$CODE_SERVER_VERSION"
log "installed in $(( $(date +%s) - started )) s"
echo "$binary"
