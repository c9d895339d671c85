# One image for the four services; the command picks the service:
#   node dist/apps/<request-api|scheduler|extractor|uploader>/src/main.js
# Debian-based (not alpine): DuckDB and the LZ4/CRC32C bindings ship glibc binaries in their npm packages.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY bench bench
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production HTTP_PORT=3000 STAGING_DIR=/staging
# glibc malloc: two arenas, big blocks from mmap (why: scripts/lib.sh, BENCHMARKS.md).
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=262144
# V8: Node.js 20's young generation size, and no warning for kafkajs' negative timer (why: scripts/lib.sh).
ENV NODE_OPTIONS="--max-semi-space-size=16 --disable-warning=TimeoutNegativeWarning"
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
RUN mkdir -p /staging && chown node:node /staging
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.HTTP_PORT+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/apps/request-api/src/main.js"]
