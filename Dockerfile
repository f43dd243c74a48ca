# syntax=docker/dockerfile:1
# Not built in this project's CI (no container engine there); kept minimal. See README "Containers".

FROM node:20-bookworm-slim AS build
WORKDIR /app
# python3, make and g++ build bcrypt and argon2 where no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node itself as PID 1 gets SIGTERM from `docker stop` and drains (SHUTDOWN_DRAIN_SECONDS) before exiting.
CMD ["node", "--max-old-space-size=160", "dist/main"]
