/**
 * Requests per second and p99 latency of each way to receive deliveries over HTTP, in one run:
 * each server in its own process, loaded in turn (rounds alternate) by autocannon from this one,
 * 32 connections, a freshly signed `response.completed` per request.
 *
 * - floor: bare node:http + node:crypto HMAC + JSON.parse
 * - openai@6.49.0: bare node:http + the official SDK's webhooks.unwrap
 * - receiver: what `npm start` runs (WebhookHttp.makeNodeListener on node:http), logging a line per delivery
 * - layer-router / http-app: WebhookHttp.layerRoute and toHttpApp on @effect/platform-node
 *
 * Run: npm run bench (or: npx tsx bench/http.ts [seconds] [rounds])
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createServer } from "node:net"
import os from "node:os"
import { Either } from "effect"
import autocannon from "autocannon"
import { WebhookHttp, WebhookSignature } from "../src/index.js"

const SECRET = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const SECONDS = Number(process.argv[2] ?? 6)
const ROUNDS = Number(process.argv[3] ?? 3)
const CONNECTIONS = 32

const contestants = [
  ["floor: node:http + node:crypto + JSON.parse", "floor"],
  ["openai@6.49.0 webhooks.unwrap on node:http", "sdk"],
  ["receiver (npm start): WebhookHttp.makeNodeListener", "receiver"],
  ["WebhookHttp.layerRoute on @effect/platform-node", "layer-router"],
  ["WebhookHttp.toHttpApp on @effect/platform-node", "http-app"]
] as const

const key = Either.getOrThrow(WebhookSignature.key(SECRET))
let sequence = 0

const signedRequest = (request: any) => {
  const n = sequence++
  const id = `wh_bench_${n}`
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

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

const start = async (kind: string, port: number): Promise<ChildProcess> => {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/http-server.ts", kind, String(port)], {
    stdio: ["ignore", "ignore", "pipe"]
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

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once("exit", () => resolve())
    child.kill("SIGKILL")
  })

const load = (port: number, duration: number) =>
  autocannon({
    url: `http://127.0.0.1:${port}${WebhookHttp.DEFAULT_PATH}`,
    connections: CONNECTIONS,
    duration,
    requests: [{ method: "POST", setupRequest: signedRequest }]
  })

const results = new Map<string, Array<{ rps: number; p99: number; errors: number }>>()
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, kind] of contestants) {
    const port = await freePort()
    const child = await start(kind, port)
    await load(port, 2) // warm-up
    const result = await load(port, SECONDS)
    await stop(child)
    const bad = result.non2xx + result.errors + result.timeouts
    if (!results.has(name)) results.set(name, [])
    results.get(name)!.push({ rps: result.requests.average, p99: result.latency.p99, errors: bad })
  }
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const cpu = os.cpus()[0]?.model ?? "unknown CPU"
console.log(`${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpu} (${os.cpus().length} cores)`)
console.log(`${CONNECTIONS} connections, ${SECONDS} s per measurement after 2 s warm-up, median of ${ROUNDS} rounds`)
console.log("| server | req/s | p99 ms | vs SDK | vs floor | non-2xx |")
console.log("|---|---:|---:|---:|---:|---:|")
const rpsOf = (kind: string) => median(results.get(contestants.find(([, k]) => k === kind)![0])!.map((r) => r.rps))
for (const [name] of contestants) {
  const runs = results.get(name)!
  const rps = median(runs.map((r) => r.rps))
  const p99 = median(runs.map((r) => r.p99))
  const errors = runs.reduce((sum, r) => sum + r.errors, 0)
  console.log(
    `| ${name} | ${Math.round(rps).toLocaleString("en-US")} | ${p99} | ${(rps / rpsOf("sdk")).toFixed(2)}x | ${
      (rps / rpsOf("floor")).toFixed(2)
    }x | ${errors} |`
  )
}
