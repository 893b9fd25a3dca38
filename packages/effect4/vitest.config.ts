import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // As in the repository's root: the workspace's packages by name, from their source, so that no test needs a build.
    alias: [
      { find: "effect4-openai-webhooks", replacement: source("./src/index.ts") },
      { find: "openai-webhooks-engine", replacement: source("../engine/src/index.ts") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 240_000
  }
})
