# Propeller's one image, for the worker and the API alike (README: "Running on a cluster").
# The API is the default command; the worker runs `node dist/workers/main.js`.
# Every setting is an environment variable read by lib/config.ts; none is baked in here
# except where the compiled workflow bundle lives.
ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: all dependencies, TypeScript -> dist/, and the workflow bundle --------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The worker can bundle dist/workflows at start (webpack, a few seconds per replica);
# bundling once here makes every replica start at once and fails the build, not the
# deployment, when workflow code cannot be bundled.
# The console (Preact, built by vite from the npm packages) goes where dist/api/console.ts serves it from.
RUN npm run build \
 && npm run console:build && mkdir -p dist/console && cp -r console/dist dist/console/dist \
 && node -e "require('@temporalio/worker').bundleWorkflowCode({ workflowsPath: require.resolve('./dist/workflows') }).then(({ code }) => require('node:fs').writeFileSync('dist/workflow-bundle.js', code))"

# --- runtime: production dependencies and dist/ only, as the unprivileged `node` user ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# A writable directory for the one-shot demo seed (docker-compose.yml mounts a volume here).
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
