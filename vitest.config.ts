import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // Examples and the workspace's packages import each other by name, as users do; in this repository that is the
    // source, so that no test needs a build first.
    alias: [
      { find: "effect-openai-webhooks", replacement: source("./src/index.ts") },
      { find: "openai-webhooks-engine", replacement: source("./packages/engine/src/index.ts") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    // The Effect 4 edition and the applications (on Effect 4) run on their own vitest (5) and effect (4):
    // `npm test --workspace packages/effect4 --workspace packages/cli`.
    exclude: ["**/node_modules/**", "packages/effect4/**", "packages/cli/**"],
    testTimeout: 30_000,
    hookTimeout: 240_000
  }
})
