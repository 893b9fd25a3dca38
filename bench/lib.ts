/** What bench/http.ts and bench/inbox.ts share: servers in child processes, and autocannon load. */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import os from "node:os"
import autocannon from "autocannon"
import { Either } from "effect"
import { WebhookHttp, WebhookSignature } from "../src/index.js"

export const SECRET = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
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
  options: { readonly cwd?: string; readonly label?: string } = {}
): Promise<ChildProcess> => {
  const name = options.label === undefined ? `${kind} server` : `${kind} server of ${options.label}`
  const child = spawn(process.execPath, ["--import", "tsx", "bench/http-server.ts", kind, String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env },
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
