import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // As in the repository's root: the workspace's packages by name, from their source, so that no test needs a build.
    alias: [
      { find: "effect4-openai-webhooks", replacement: source("./src/index.ts") },
      { find: "openai-webhooks-engine", replacement: source("../engine/src/index.ts") },
      // The engine's shared test helpers (packages/engine/test/verdict.ts) import `vitest`: this edition's own, so
      // that they run inside this edition's runner (vitest 5), not the root's.
      { find: /^vitest$/, replacement: source("./node_modules/vitest/dist/index.js") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 240_000
  }
})
