/**
 * What the benches share: servers in child processes, autocannon load, and the trees measured (this one, and the
 * checkouts BENCH_BEFORE names, for a before and after in one run).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { createServer } from "node:net"
import os from "node:os"
import { join, resolve } from "node:path"
import autocannon from "autocannon"
import { Either } from "effect"
import { WebhookHttp, WebhookSignature } from "../src/index.js"

import { SECRET } from "./by-hand.js"

export { SECRET }
export const CONNECTIONS = 32

const key = Either.getOrThrow(WebhookSignature.key(SECRET))
let sequence = 0
/** Every webhook-id this process sends starts with this. */
export const RUN_PREFIX = `wh_bench_${process.pid}_${Date.now()}_`

/** A freshly signed `response.completed` with its own webhook-id, for each request autocannon sends. */
export const signedRequest = (request: any) => {
  const n = sequence++
  const id = `${RUN_PREFIX}${n}`
  const timestamp = Math.floor(Date.now() / 1000)
  const body = `{"id":"evt_${n}","object":"event","created_at":${timestamp},"type":"response.completed","data":{"id":"resp_${n}"}}`
  return {
    ...request,
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": WebhookSignature.sign(key, { id, timestamp, payload: body })
    }
  }
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

/** How long a server may take to say "ready" before the bench gives up on it. */
const START_TIMEOUT_MS = 60_000

/**
 * Starts `bench/http-server.ts <kind> <port>` and resolves once it listens. `cwd` runs another checkout's server
 * (its own bench/http-server.ts, src and node_modules); `label` names that tree when the server fails to start.
 */
export const start = async (
  kind: string,
  port: number,
  env: Record<string, string> = {},
  options: { readonly cwd?: string; readonly label?: string; readonly script?: string } = {}
): Promise<ChildProcess> => {
  const name = options.label === undefined ? `${kind} server` : `${kind} server of ${options.label}`
  // `script`: another server file, such as the Effect 4 edition's (packages/effect4/bench/http-server.ts); the
  // receiver's kinds run the tree's receiver (see `receiverOf`).
  const tree = options.cwd ?? ROOT
  const receiver = options.script === undefined && RECEIVER_KINDS.has(kind) ? receiverOf(tree) : undefined
  // A tree's compiled receiver runs on plain node, as npm start runs it; the other servers are sources, through tsx.
  const args = receiver?.effect === 4
    ? [receiver.script, kind, String(port), tree]
    : ["--import", "tsx", options.script ?? receiver?.script ?? "bench/http-server.ts", kind, String(port)]
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...(receiver?.effect === 4 ? { WEBHOOK_SECRET: SECRET } : {}), ...env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd })
  })
  let errors = ""
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not say ready within ${START_TIMEOUT_MS} ms: ${errors.trim()}`)),
        START_TIMEOUT_MS
      )
      child.stderr!.on("data", (chunk: Buffer) => {
        errors += chunk.toString()
        if (!errors.includes("ready\n")) return
        clearTimeout(timer)
        resolve()
      })
      child.once("error", (error) => {
        clearTimeout(timer)
        reject(new Error(`${name} did not start: ${error.message}`))
      })
      child.once("exit", (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`${name} exited with ${code ?? signal} before it was ready: ${errors.trim()}`))
      })
    })
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    throw error
  }
  // Keep draining stderr so that the child never blocks on it, without keeping what it says.
  child.stderr!.removeAllListeners("data")
  child.stderr!.resume()
  return child
}

/** Whether this Node.js runs the Effect 4 edition (22.19 and later: effect 4's floor). */
export const runsEffect4 = (): boolean => {
  const [major, minor] = process.versions.node.split(".").map(Number) as [number, number]
  return major > 22 || (major === 22 && minor >= 19)
}

export const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once("exit", () => resolve())
    child.kill("SIGKILL")
  })

export const load = (port: number, duration: number) =>
  autocannon({
    url: `http://127.0.0.1:${port}${WebhookHttp.DEFAULT_PATH}`,
    connections: CONNECTIONS,
    duration,
    requests: [{ method: "POST", setupRequest: signedRequest }]
  })

/** The middle value; with an even count, the mean of the two middle ones (not the upper, which flatters). */
export const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export const machine = () =>
  `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus()[0]?.model ?? "unknown CPU"} (${
    os.cpus().length
  } cores)`

/** A checkout whose code is measured: `label` is its short commit (`+changes` when its tracked files differ). */
export interface Tree {
  readonly label: string
  readonly cwd: string
  /** The Effect major its receiver (`npm start`) runs on. */
  readonly effect: 3 | 4
}

/** This repository's root. */
const ROOT = resolve(import.meta.dirname, "..")

/** The kinds that are the receiver (`npm start` without and with its inbox), whichever Effect it runs on. */
const RECEIVER_KINDS: ReadonlySet<string> = new Set(["listener", "receiver"])

/** This tree's runner of a tree's compiled receiver (see the file's comment). */
const RECEIVER_RUNNER = join(ROOT, "packages", "cli", "bench", "http-server.mjs")

/**
 * How a tree's receiver servers run: since the applications run on Effect 4, from the tree's compiled
 * packages/cli/dist (what `npm start` runs) by this tree's packages/cli/bench/http-server.mjs, on the tree's own
 * effect; in a tree from before, its own bench/http-server.ts (the Effect 3 receiver, from source).
 */
export const receiverOf = (dir: string): { readonly script: string; readonly effect: 3 | 4 } =>
  existsSync(join(dir, "packages", "cli", "src", "receiver", "server.ts"))
    ? { script: RECEIVER_RUNNER, effect: 4 }
    : { script: "bench/http-server.ts", effect: 3 }

/**
 * Builds this tree's dist (the receiver is measured as `npm start` runs it) and checks that every other tree has
 * its own built: a stale or missing dist would measure other code than the tree's.
 */
export const buildTrees = (trees: ReadonlyArray<Tree>): void => {
  for (const tree of trees) {
    if (tree.effect !== 4) continue
    if (resolve(tree.cwd) === ROOT) {
      execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] })
    } else if (!existsSync(join(tree.cwd, "packages", "cli", "dist", "receiver", "server.js"))) {
      throw new Error(`BENCH_BEFORE: ${tree.cwd} has no packages/cli/dist (run npm run build there)`)
    }
  }
}

const git = (dir: string, args: ReadonlyArray<string>) =>
  execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim()

const describeTree = (dir: string): string => {
  try {
    const head = git(dir, ["rev-parse", "--short", "HEAD"])
    // Uncommitted changes to tracked files make it another version than the commit says.
    return git(dir, ["status", "--porcelain", "--untracked-files=no"]) === "" ? head : `${head}+changes`
  } catch {
    return dir
  }
}

/**
 * The trees to measure: `here` first, then each checkout BENCH_BEFORE=<dir>[,<dir>...] names (each with its
 * node_modules and its built dist/, as `npm ci` leaves it).
 */
export const benchTrees = (here: string): ReadonlyArray<Tree> => {
  const trees: Array<Tree> = [{ label: describeTree(here), cwd: here, effect: receiverOf(here).effect }]
  for (const entry of (process.env["BENCH_BEFORE"] ?? "").split(",")) {
    if (entry.trim() === "") continue
    const dir = resolve(entry.trim())
    if (!existsSync(join(dir, "bench", "http-server.ts"))) {
      throw new Error(`BENCH_BEFORE: ${dir} has no bench/http-server.ts (is it a checkout of this project?)`)
    }
    if (!existsSync(join(dir, "node_modules"))) {
      throw new Error(`BENCH_BEFORE: ${dir} has no node_modules (run npm ci there, or link this tree's node_modules)`)
    }
    const label = describeTree(dir)
    trees.push({
      label: trees.some((tree) => tree.label === label) ? `${label} (${dir})` : label,
      cwd: dir,
      effect: receiverOf(dir).effect
    })
  }
  return trees
}
