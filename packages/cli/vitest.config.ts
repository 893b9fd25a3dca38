import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // As in the repository's root: the workspace's packages by name, from their source, so that no test needs a build.
    alias: [
      { find: "effect4-openai-webhooks", replacement: source("../effect4/src/index.ts") },
      { find: "openai-webhooks-engine", replacement: source("../engine/src/index.ts") },
      // The shared test helpers (../../test/support, ../engine/test) import `vitest`: this package's own (5).
      { find: /^vitest$/, replacement: source("./node_modules/vitest/dist/index.js") }
    ],
    // One effect 4 for everything a test loads: this package's and the edition's source (which would otherwise resolve
    // ../effect4/node_modules/effect, a second copy).
    dedupe: ["effect", "@effect/platform-node", "@effect/platform-node-shared", "@effect/sql-pg", "@effect/sql-sqlite-node"]
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 240_000
  }
})
