/**
 * Edge runtimes for both editions' tests: a module bundled as wrangler bundles a Worker without `nodejs_compat`
 * (`bundleOptions`, where an import of `node:` fails the build), the `node:` imports of a module's graph, and
 * Workers served by a real `workerd` on loopback ports. Effect-free: each edition's test says which Worker and
 * which package it runs.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import * as esbuild from "esbuild"
import { freePort, root, within } from "./process.js"

const workerd = resolve(root, "node_modules/.bin/workerd")

/** What wrangler does for a Worker without nodejs_compat: ESM for the browser platform, the workerd conditions. */
export const bundleOptions: esbuild.BuildOptions = {
  bundle: true,
  format: "esm",
  platform: "browser",
  conditions: ["workerd", "worker", "browser"],
  logLevel: "silent",
  write: false
}

/**
 * Every import of a `node:` module in the graph of `entry`, with the module that makes it and how. No tsconfig paths:
 * the packages resolve to their built `dist/`, as in a user's project.
 */
export const nodeImports = async (entry: string) => {
  const result = await esbuild.build({
    ...bundleOptions,
    entryPoints: [entry],
    external: ["node:*"],
    metafile: true,
    tsconfigRaw: "{}"
  })
  return Object.entries(result.metafile!.inputs).flatMap(([file, input]) =>
    input.imports.filter((i) => i.path.startsWith("node:")).map((i) => ({ file, path: i.path, kind: i.kind }))
  )
}

/**
 * A Worker of the library's Effect API, for the edition published as `edition`: it signs (`WebhookTesting`), then
 * verifies and unwraps (`Webhooks`) on Web Crypto, and answers what it found as JSON (`tag`, `refused`, `id`,
 * `synchronous`). Both editions' modules have these names, so the one source serves both.
 */
export const apiWorker = (edition: string, secret: string) => `
import { Effect } from "effect"
import { Webhooks, WebhookSecret, WebhookTesting } from "${edition}"
import { Signature } from "openai-webhooks-engine"
const secret = "${secret}"
const forged = "whsec_Rm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkRm9yZ2VkISE="
const program = Effect.gen(function*() {
  const event = WebhookTesting.samples()[0]
  const signed = yield* WebhookTesting.sign({ secret, event })
  const unwrapped = yield* Webhooks.unwrap(signed.body, signed.headers)
  const other = yield* WebhookTesting.sign({ secret: forged, event })
  const refused = yield* Effect.flip(Webhooks.verify(other.body, other.headers))
  const id = signed.headers["webhook-id"]
  return { tag: unwrapped._tag, refused: refused.reason, id, synchronous: Signature.synchronous }
}).pipe(Effect.provide(WebhookSecret.layer(secret)))
export default { fetch: () => Effect.runPromise(program).then((found) => Response.json(found)) }
`

/** One Worker to serve: its entry file, or a module's source resolved from `resolveDir`, and its text bindings. */
export interface Worker {
  readonly entry: string | { readonly contents: string; readonly resolveDir: string }
  readonly bindings?: Readonly<Record<string, string>>
}

export interface Served<Name extends string> {
  /** Each Worker's origin, `http://127.0.0.1:<port>`. */
  readonly origins: Readonly<Record<Name, string>>
  /** What workerd printed so far. */
  readonly output: () => string
  /** Stops workerd and removes the bundles. */
  readonly stop: () => void
}

/**
 * Bundles each Worker as wrangler does (no `node:` marked external, so an import of one fails here as it fails
 * there; no tsconfig paths, so the packages resolve to their built `dist/`, as in a user's project), and serves
 * each on a loopback port of its own in one `workerd` without `nodejs_compat`. Resolves once every one answers.
 */
export const serveWorkers = async <Name extends string>(
  workers: Readonly<Record<Name, Worker>>
): Promise<Served<Name>> => {
  const dir = mkdtempSync(join(tmpdir(), "edge-worker-"))
  const names = Object.keys(workers) as Array<Name>
  const origins = {} as Record<Name, string>
  const services: Array<string> = []
  const sockets: Array<string> = []
  const definitions: Array<string> = []
  for (const name of names) {
    const worker: Worker = workers[name]
    const entry = typeof worker.entry === "string"
      ? { entryPoints: [worker.entry] }
      : { stdin: { ...worker.entry, loader: "ts" as const } }
    await esbuild.build({ ...bundleOptions, ...entry, outfile: join(dir, `${name}.js`), write: true, tsconfigRaw: "{}" })
    const port = await freePort()
    origins[name] = `http://127.0.0.1:${port}`
    services.push(`(name = "${name}", worker = .${name})`)
    sockets.push(`(name = "${name}", address = "127.0.0.1:${port}", http = (), service = "${name}")`)
    const bindings = Object.entries(worker.bindings ?? {}).map(([key, value]) => `(name = "${key}", text = "${value}")`)
    definitions.push(`const ${name} :Workerd.Worker = (
  modules = [ (name = "${name}.js", esModule = embed "${name}.js") ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = [],
  bindings = [ ${bindings.join(", ")} ],
);`)
  }
  writeFileSync(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ ${services.join(", ")} ],
  sockets = [ ${sockets.join(", ")} ],
);
${definitions.join("\n")}
`
  )
  let output = ""
  let stopped = false
  const child = spawn(workerd, ["serve", "config.capnp"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] })
  child.stdout.on("data", (chunk) => (output += chunk))
  child.stderr.on("data", (chunk) => (output += chunk))
  const stop = () => {
    stopped = true
    child.kill()
    rmSync(dir, { recursive: true, force: true })
  }
  // An external process: poll until every Worker answers, within a deadline, or until workerd exits (saying why).
  const listening = async () => {
    for (const name of names) {
      while (!(await fetch(origins[name], { method: "GET" }).then(() => true, () => false))) {
        if (child.exitCode !== null) throw new Error(`workerd exited ${child.exitCode}`)
        if (stopped) return
        await new Promise((done) => setTimeout(done, 100))
      }
    }
  }
  try {
    await within(listening(), "workerd to listen", 20_000)
  } catch (error) {
    stop()
    throw new Error(`${(error as Error).message}:\n${output}`)
  }
  return { origins, output: () => output, stop }
}
