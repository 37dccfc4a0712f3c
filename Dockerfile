# Production image: the API serving the built web app. Built by docker-compose.yml.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV NX_NO_CLOUD=true NX_DAEMON=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx nx run-many -t build -p api web --outputStyle=static && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
EXPOSE 5001
# Where the signing-keys volume mounts: owned by the API's user, so it can create its 0600 key there.
RUN mkdir -p /app/keys && chown node:node /app/keys && chmod 700 /app/keys
USER node
# --max-old-space-size: see README "API heap bound" (bounds how far V8 lets the heap grow before collecting).
CMD ["node", "--enable-source-maps", "--max-old-space-size=512", "dist/apps/api/apps/api/src/main.js"]
