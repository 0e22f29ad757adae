# syntax=docker/dockerfile:1
# The inference service image (issue 4, docs/image.md). Built by
# scripts/build-image.sh with buildah (daemonless, rootless-capable); the same
# file builds with docker/BuildKit.
#
# Stages: manifests (package.json files + lockfile, shared by both npm stages)
# → deps (all packages the build needs) → build (tsc + bundle); manifests →
# prod-deps (production packages only, pruned to the target platform); final
# (compiled service + production packages + model bundle on a glibc Node LTS
# base; no npm, compilers, sources or tests).

# Builder base: any glibc Node image with npm. Runtime base: glibc Node LTS
# without npm (ONNX Runtime has no musl build). Both pinned by the digest of
# their multi-arch index, so linux/amd64 and linux/arm64 resolve from one pin.
# Refresh (docs/image.md):
#   skopeo inspect --raw docker://gcr.io/distroless/nodejs24-debian12:nonroot >index.json
#   skopeo manifest-digest index.json
ARG BUILD_BASE_IMAGE=docker.io/library/node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
ARG BASE_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot@sha256:14d42e2511532589a7c7e01a753667a74fcc96266e137e8125006b87b0c32d0a

# ---- manifests: the package manifests both npm stages install from --------
# Builder stages run on the build machine's platform: they only download
# JavaScript and prebuilt binaries, so their output does not depend on it.
FROM --platform=$BUILDPLATFORM ${BUILD_BASE_IMAGE} AS manifests
WORKDIR /src
# onnxruntime-node's install script downloads optional CUDA files: never run
# install scripts (the CPU binaries ship inside the package).
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
# Manifests first: the npm layers are reused until a package.json or the lock
# changes. Every workspace's manifest: `npm ci --workspace service` checks the
# lockfile against all of them, but installs only the service's packages.
COPY package.json package-lock.json .npmrc ./
COPY packages/model-contract/package.json packages/model-contract/
COPY service/package.json service/
COPY training/package.json training/
COPY deployctl/package.json deployctl/
COPY infra/package.json infra/
COPY observability/package.json observability/

# ---- deps: everything the build needs, from the root lockfile --------------
FROM manifests AS deps
# The root workspace holds typescript and @types/node; the service's devDeps
# hold esbuild (its platform binary is an optional dependency, so optional
# packages stay) and @mlops/model-contract (a workspace link: the card schema
# and featurize, bundled into the service). ONNX Runtime's binaries are not
# needed to compile: dropped.
RUN --mount=type=cache,id=npm,target=/root/.npm,sharing=locked \
    npm ci --ignore-scripts --no-audit --workspace service --include-workspace-root \
    && rm -rf node_modules/onnxruntime-node/bin

# ---- build: compile the service ---------------------------------------------
FROM deps AS build
COPY tsconfig.base.json ./
# The model contract ships TypeScript sources only (no build of its own): the
# service's tsc type-checks them and esbuild compiles them into the bundle.
COPY packages/model-contract/src packages/model-contract/src
COPY service/tsconfig.json service/tsconfig.build.json service/
COPY service/scripts service/scripts
COPY service/src service/src
# tsc, then the service's own post-step (service/scripts/bundle.mjs: esbuild
# bundles dist/server.js with its pure-JS dependencies and the model contract
# for a faster cold start).
RUN npm run build --workspace service

# ---- prod-deps: the service's production packages for the target platform ---
FROM manifests AS prod-deps
# Set by buildah/BuildKit from --platform; defaults for other builders.
ARG TARGETOS=linux
ARG TARGETARCH=amd64
# The recipe lives in one script that scripts/image/assemble.ts runs too (the
# pipeline's build: docs/image.md, "Two builders, one image"). One RUN, so
# nothing it prunes ever lands in a layer.
COPY scripts/image/prune-node-modules.mjs scripts/image/install-prod-deps.sh /usr/local/lib/image/
RUN --mount=type=cache,id=npm,target=/root/.npm,sharing=locked \
    TARGETOS="$TARGETOS" TARGETARCH="$TARGETARCH" sh /usr/local/lib/image/install-prod-deps.sh

# ---- final: what runs in the cluster ----------------------------------------
FROM ${BASE_IMAGE} AS final
WORKDIR /app
# Layers from least to most often changed: packages (lockfile), model bundle
# (training), compiled service (every commit), then the commit metadata.
# Files stay root-owned and read-only to the app user.
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=prod-deps /src/service/node_modules ./service/node_modules
COPY model/model.json model/model.onnx ./model/
COPY service/package.json ./service/
COPY --from=build /src/service/dist ./service/dist

# distroless keeps node in /nodejs/bin, the official images in /usr/local/bin.
ENV PATH=/nodejs/bin:/usr/local/bin:/usr/bin:/bin \
    NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    MODEL_DIR=/app/model \
    HOME=/tmp
# A fixed numeric non-root UID (no passwd entry needed) so Kubernetes
# runAsNonRoot can verify it; the only writable path it needs is /tmp.
USER 10001:10001
# 8000: the API; 9464: GET /metrics only (METRICS_PORT), kept apart so a
# NetworkPolicy can open it to the monitoring namespace alone.
EXPOSE 8000 9464
STOPSIGNAL SIGTERM
# Reset the base's entrypoint (distroless: node) and start node directly,
# exec form, so node itself is PID 1 and receives SIGTERM (no shell between).
ENTRYPOINT []
CMD ["node", "service/dist/server.js"]

# Last, so a new commit only changes these small metadata layers.
ARG GIT_COMMIT=unknown
ARG BUILD_TIME=unknown
ARG VERSION=0.0.0-dev
ARG SOURCE_URL=https://gitlab.com/mlops/mlops-inference-chain
ENV GIT_COMMIT=$GIT_COMMIT \
    BUILD_TIME=$BUILD_TIME
LABEL org.opencontainers.image.title="mlops-inference-service" \
      org.opencontainers.image.description="ONNX text classifier behind a Fastify HTTP API (POST /predict)" \
      org.opencontainers.image.revision=$GIT_COMMIT \
      org.opencontainers.image.created=$BUILD_TIME \
      org.opencontainers.image.version=$VERSION \
      org.opencontainers.image.source=$SOURCE_URL
