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

/** Starts `bench/http-server.ts <kind> <port>` and resolves once it listens. */
export const start = async (kind: string, port: number, env: Record<string, string> = {}): Promise<ChildProcess> => {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/http-server.ts", kind, String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...env }
  })
  await new Promise<void>((resolve, reject) => {
    let errors = ""
    child.stderr!.on("data", (chunk: Buffer) => {
      errors += chunk.toString()
      if (errors.includes("ready\n")) resolve()
    })
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}: ${errors}`)))
  })
  return child
}

export const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
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

export const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export const machine = () =>
  `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus()[0]?.model ?? "unknown CPU"} (${
    os.cpus().length
  } cores)`
