# syntax=docker/dockerfile:1
# The one edge-stl image: `edge-stl <subcommand>` runs the operator, trainer, labeling service or edge
# agent (see `docker run <image> --help`). CPU only: TF.js on WebAssembly. Dockerfile.gpu adds CUDA.
#
#   docker build -t edge-stl:dev .
#   docker run --rm edge-stl:dev validate /app/crds/examples/minimal.yaml

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: compile TypeScript with the full toolchain ----
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# Install scripts stay off: `prepare` would build before the sources are here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY cli ./cli
COPY lib ./lib
COPY operator ./operator
COPY edge-agent ./edge-agent
COPY cloud-trainer ./cloud-trainer
COPY labeling ./labeling
COPY local ./local
RUN npm run build

# ---- deps: production dependencies only (the embedded S3 of local runs is a devDependency) ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# sharp ships prebuilt binaries as optional packages and onnxruntime-node its CPU binaries, so
# --ignore-scripts is safe.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# A fixed numeric user, so Kubernetes runAsNonRoot can verify it (the chart runs as 10001).
RUN groupadd --system --gid 10001 edge-stl \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin edge-stl
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# tsc compiles only .ts: the labeling page is read from beside the compiled module.
COPY --from=build /src/labeling/public ./dist/labeling/public
COPY package.json ./
COPY bin ./bin
COPY crds ./crds
COPY docker/healthcheck.mjs ./docker/healthcheck.mjs
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "/app/docker/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/bin/edge-stl.js"]
CMD ["--help"]
