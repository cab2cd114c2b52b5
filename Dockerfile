# syntax=docker/dockerfile:1
# Build stage: install every dependency, compile TypeScript, then drop the dev dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` (not `npm ci`): the lockfile holds only the native packages of the platforms the registry
# served when it was written, which `npm ci` treats as out of sync. The lockfile still pins every version.
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
COPY scripts/build-web-assets.mjs ./scripts/build-web-assets.mjs
RUN npm run build
RUN npm prune --omit=dev

# Runtime stage: compiled code and production dependencies only, as the unprivileged `node` user.
FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# Audit exports are written here (a volume shared by the api and the worker in docker-compose.yml); the folder
# exists in the image, owned by `node`, so a new named volume starts with that owner.
RUN mkdir -p /app/var/exports && chown -R node:node /app/var
USER node
EXPOSE 3000 3001 3002
# The same entry points as `npm run start:api`, `npm run start:worker`, `npm run start:web` and
# `node dist/apps/cli/src/main.js migrate`;
# docker-compose.yml chooses one per service.
CMD ["node", "dist/apps/api/src/main.js"]
