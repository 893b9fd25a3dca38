// `npm start`: the receiver (packages/cli/dist/receiver.js, built by `prestart`). The applications run on Effect 4,
// whose floor is Node.js 22.19 (its own, and node:sqlite's, the embedded store's driver): that floor is the one in
// packages/cli/package.json's `engines`. On an older Node.js (20, on which `npm ci` and the Effect 3 edition work), the
// receiver runs on Node.js 24 from the npm registry (the package `node`, through npx, cached after the first time),
// and a line on stderr says so: the quick start works on every Node.js this repository installs on.
import { spawn, spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import semver from "semver"

const cli = new URL("../packages/cli/", import.meta.url)
const receiver = fileURLToPath(new URL("dist/receiver.js", cli))
const { engines } = JSON.parse(readFileSync(new URL("package.json", cli), "utf8"))

if (semver.satisfies(process.version, engines.node)) {
  await import(receiver)
} else {
  process.stderr.write(
    `npm start: the receiver needs Node.js ${engines.node} (Effect 4), this is ${process.version}: ` +
      `running it on Node.js 24 from the npm registry (npx node@24). Install Node.js 24 to skip this step.\n`
  )
  // The binary itself, so that the receiver is this process's only child and gets the signals it is sent.
  const which = spawnSync("npx", ["--yes", "-p", "node@24", "-c", "node -p process.execPath"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"]
  })
  const node = which.stdout.trim()
  if (which.status !== 0 || node === "") {
    process.stderr.write("error: npx could not fetch Node.js 24\nhint: install Node.js 22.19 or newer (https://nodejs.org)\n")
    process.exit(1)
  }
  const child = spawn(node, [receiver], { stdio: "inherit" })
  // What stops npm start stops the receiver too (a closed terminal's SIGHUP as well), so that none is left serving
  // without its parent. (A SIGKILL to this process cannot be passed on: kill the process group instead.)
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal))
  child.on("exit", (code, signal) => process.exit(code ?? 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal] ?? 1)))
}
