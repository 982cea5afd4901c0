# syntax=docker/dockerfile:1
# One image for both roles; docker-compose.yml picks the entry point:
#   node dist/workers/main.js   (worker: prebuilt workflow bundle, drains on SIGTERM)
#   node dist/api/main.js       (API, the default)

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# tsc to dist/ plus dist/workflow-bundle.js, then drop dev dependencies for the runtime stage.
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
# The API binds loopback unless told otherwise; in a container it must listen on every interface.
ENV HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The console's stylesheet is read from the source tree (api/console/assets.ts), not compiled.
COPY --from=build --chown=node:node /app/api/console/assets ./api/console/assets
USER node
# 3000: the API; 8080: the worker health endpoint (WORKER_HEALTH_ADDRESS); 9464: worker metrics.
EXPOSE 3000 8080 9464
CMD ["node", "dist/api/main.js"]
