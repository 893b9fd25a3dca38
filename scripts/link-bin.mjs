// `prepare`'s last step: link the `openai-webhooks` command into node_modules/.bin. npm links a workspace's bins at
// install, before `prepare` builds packages/cli/dist/cli.js, and skips a bin whose file is missing, so a fresh clone
// had no command and `npx openai-webhooks` asked the registry for a package of that name. `npm rebuild` of the
// package links it now that the file exists. What npm prints on stdout is dropped: `npm pack --json` runs `prepare`,
// and its stdout must be JSON only.
import { spawnSync } from "node:child_process"

const run = spawnSync("npm", ["rebuild", "effect-openai-webhooks-cli", "--ignore-scripts"], {
  stdio: ["ignore", "ignore", "inherit"],
  shell: process.platform === "win32"
})
process.exit(run.status ?? 1)
