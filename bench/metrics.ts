/**
 * What `/metrics` scrapes cost the deliveries: the built receiver (`packages/cli/dist/receiver.js`, or the one
 * given) on a SQLite file of about 250,000 deliveries, loaded with signed deliveries by autocannon, while 0, 1 and
 * 8 clients loop on `GET /metrics`. Prints deliveries/s and their p50 latency for each.
 *
 *   npm run build && tsx bench/metrics.ts [receiver.js] [seconds per run, default 8] [scrapers, default 0,1,8]
 *
 * The rows are made by SQL (a recursive CTE) after the receiver has migrated an empty file, so that the file has
 * the receiver's own schema (before or after its migrations changed it). Keep runs short: the load is real.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import autocannon from "autocannon"
import Sqlite from "better-sqlite3"
import { WebhookTesting } from "../src/index.js"

const SECRET = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="
const ROWS = 250_000
const [
  receiver = resolve(import.meta.dirname, "../packages/cli/dist/receiver.js"),
  secondsArg = "8",
  scrapersArg = "0,1,8"
] = process.argv.slice(2)
const seconds = Number(secondsArg)

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })

const start = async (file: string) => {
  const port = await freePort()
  const child = spawn(process.execPath, [receiver], {
    env: {
      ...process.env,
      OPENAI_WEBHOOK_SECRET: SECRET,
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: `sqlite:${file}`,
      LOG_LEVEL: "warn"
    },
    stdio: ["ignore", "ignore", "pipe"]
  })
  const origin = `http://127.0.0.1:${port}`
  /** The receiver's CPU time so far (user + system), in ms: what a load costs it, however busy the machine. */
  const cpu = () => {
    const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 10
  }
  for (;;) {
    const up = await fetch(`${origin}/healthz`).then((r) => r.ok, () => false)
    if (up) break
    if (child.exitCode !== null) throw new Error(`the receiver exited ${child.exitCode}`)
    await new Promise((done) => setTimeout(done, 100))
  }
  const stop = () =>
    new Promise<void>((done) => {
      child.once("exit", () => done())
      child.kill("SIGTERM")
    })
  return { origin, stop, cpu }
}

/** A file of `ROWS` handled deliveries in the receiver's schema. */
const seed = async (file: string) => {
  const migrated = await start(file)
  await migrated.stop()
  const db = new Sqlite(file)
  db.exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
INSERT INTO openai_webhook_deliveries (webhook_id, event_type, webhook_timestamp, body, status, attempts,
  received_at, updated_at)
SELECT 'seed_' || i, CASE i % 3 WHEN 0 THEN 'response.completed' WHEN 1 THEN 'batch.completed'
  ELSE 'response.failed' END, 1700000000, '{"id":"evt_' || i || '","padding":"' || hex(zeroblob(100)) || '"}',
  CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'done' END, 1, 1700000000000 + i, 1700000000000 + i FROM n`)
  db.close()
}

const deliveries = Array.from({ length: 100_000 }, (_, i) =>
  WebhookTesting.unsafeSign({
    event: WebhookTesting.sample("response.completed"),
    secret: SECRET,
    id: `msg_bench_${process.pid}_${i}`
  }))

/**
 * `scrapers` clients looping on `/metrics`, in a process of their own (in this one they would slow autocannon's
 * own event loop, and seem to slow the receiver): resolves with how many scrapes they made once told to stop.
 */
const scrape = (origin: string, scrapers: number) => {
  const loop = `let n = 0, stop = false; process.on("message", () => { stop = true });
await Promise.all(Array.from({ length: ${scrapers} }, async () => {
  while (!stop) { await (await fetch("${origin}/metrics")).arrayBuffer(); n++ }
}));
process.send(n, () => process.exit(0))`
  const child = spawn(process.execPath, ["--input-type=module", "-e", loop], {
    stdio: ["ignore", "ignore", "inherit", "ipc"]
  })
  const scrapes = new Promise<number>((done) => child.once("message", (n) => done(Number(n))))
  return () => {
    child.send("stop")
    return scrapes
  }
}

const run = async ({ cpu, origin }: { readonly origin: string; readonly cpu: () => number }, scrapers: number) => {
  // First the scrapes alone, for what each costs the receiver; then with the deliveries.
  const alone = scrape(origin, Math.max(scrapers, 1))
  const cpuBefore = cpu()
  await new Promise((done) => setTimeout(done, 3000))
  const scrapesAlone = await alone()
  const msPerScrape = (cpu() - cpuBefore) / scrapesAlone
  const stop = scrapers === 0 ? async () => 0 : scrape(origin, scrapers)
  const cpuStart = cpu()
  let next = 0
  const result = await autocannon({
    url: `${origin}/webhooks/openai`,
    connections: 10,
    duration: seconds,
    requests: [{
      method: "POST",
      setupRequest: (request) => {
        const delivery = deliveries[next++ % deliveries.length]!
        return { ...request, headers: { ...delivery.headers }, body: delivery.body as string }
      }
    }]
  })
  const scrapes = await stop()
  const used = cpu() - cpuStart
  return {
    scrapers,
    "CPU ms/scrape": Number(msPerScrape.toFixed(3)),
    "deliveries/s": Math.round(result.requests.average),
    "CPU µs/delivery": Math.round((used * 1000) / result.requests.total),
    "p50 ms": result.latency.p50,
    non2xx: result.non2xx,
    "scrapes/s": Math.round(scrapes / seconds)
  }
}

const directory = mkdtempSync(join(tmpdir(), "bench-metrics-"))
try {
  const file = join(directory, "inbox.sqlite")
  await seed(file)
  const results = []
  for (const scrapers of scrapersArg.split(",").map(Number)) {
    const receiving = await start(file)
    results.push(await run(receiving, scrapers))
    await receiving.stop()
  }
  console.log(`${receiver}, ${ROWS} rows, ${seconds} s per run`)
  console.table(results)
} finally {
  rmSync(directory, { recursive: true, force: true })
}
