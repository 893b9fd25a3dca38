import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  resolve: {
    // Examples and the workspace's packages import each other by name, as users do; in this repository that is the
    // source, so that no test needs a build first.
    alias: [
      { find: "effect-openai-webhooks", replacement: source("./src/index.ts") },
      { find: "openai-webhooks-engine", replacement: source("./packages/engine/src/index.ts") },
      // TODO(engine): the applications still import some of the library's built internals (`../../../../dist/
      // internal/*.js`, marked TODO(engine)); here they read the source, so that one copy of the library is loaded.
      { find: /^(?:\.\.\/)+dist\/internal\/(.+)\.js$/, replacement: `${source("./src/internal")}/$1.ts` }
    ]
  },
  test: {
    include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 240_000
  }
})
