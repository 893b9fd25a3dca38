/**
 * Deliveries per second the receiver (`npm start`, the inbox included) sustains, inline and queued, on
 * SQLite and PostgreSQL (when DATABASE_URL names one). Same load as bench/http.ts: autocannon, 32
 * connections, a freshly signed delivery with its own webhook-id per request.
 *
 * - accepted/s: 200 answers per second while loaded;
 * - processed/s: deliveries whose handler ran, from the start of the load until the last one is done
 *   (inline: the same as accepted; queued: the workers catch up after the load).
 *
 * Run: npm run bench (or: npx tsx bench/inbox.ts [seconds])
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Sqlite from "better-sqlite3"
import pg from "pg"
import { freePort, load, machine, RUN_PREFIX, start, stop } from "./lib.js"

const SECONDS = Number(process.argv[2] ?? 6)
const postgres = /^postgres(ql)?:\/\//.test(process.env["DATABASE_URL"] ?? "") ? process.env["DATABASE_URL"]! : undefined

type Count = () => Promise<{ done: number; total: number }>

const sqliteCounter = (file: string): Count => async () => {
  const db = new Sqlite(file, { readonly: true, fileMustExist: true })
  try {
    const row = db.prepare(
      "SELECT COUNT(*) AS total, SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END) AS done FROM openai_webhook_deliveries WHERE webhook_id LIKE ?"
    ).get(`${RUN_PREFIX}%`) as { total: number; done: number | null }
    return { total: row.total, done: row.done ?? 0 }
  } finally {
    db.close()
  }
}

const pgCounter = (url: string): Count => async () => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query(
      "SELECT COUNT(*)::int AS total, COUNT(*) FILTER (WHERE status = 'done')::int AS done FROM openai_webhook_deliveries WHERE webhook_id LIKE $1",
      [`${RUN_PREFIX}%`]
    )
    return rows[0] as { total: number; done: number }
  } finally {
    await client.end()
  }
}

const measure = async (databaseUrl: string, mode: "inline" | "queued", count: Count) => {
  const port = await freePort()
  const child = await start("receiver", port, { DATABASE_URL: databaseUrl, WEBHOOK_MODE: mode })
  try {
    await load(port, 2) // warm-up, and the table exists
    const before = await count()
    const started = performance.now()
    const result = await load(port, SECONDS)
    const loaded = performance.now()
    let now = await count()
    // Queued: wait (bounded) until the workers have done everything accepted.
    const deadline = loaded + 120_000
    while (now.done < now.total && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      now = await count()
    }
    const finished = performance.now()
    const processed = now.done - before.done
    return {
      accepted: result.requests.average,
      processed: processed / ((finished - started) / 1000),
      p99: result.latency.p99,
      bad: result.non2xx + result.errors + result.timeouts,
      backlog: now.total - now.done
    }
  } finally {
    await stop(child)
  }
}

const rows: Array<string> = []
const engines: Array<readonly [string, string, () => Count]> = []
const dir = mkdtempSync(join(tmpdir(), "openai-webhooks-bench-"))
for (const mode of ["inline", "queued"] as const) {
  const file = join(dir, `${mode}.sqlite`)
  engines.push([`SQLite file, ${mode}`, `sqlite:${file}`, () => sqliteCounter(file)])
}
if (postgres !== undefined) {
  for (const mode of ["inline", "queued"] as const) engines.push([`PostgreSQL, ${mode}`, postgres, () => pgCounter(postgres)])
}

for (const [name, url, counter] of engines) {
  const mode = name.endsWith("queued") ? "queued" : "inline"
  const r = await measure(url, mode, counter())
  rows.push(
    `| ${name} | ${Math.round(r.accepted).toLocaleString("en-US")} | ${Math.round(r.processed).toLocaleString("en-US")} | ${r.p99} | ${r.bad} | ${r.backlog} |`
  )
}
rmSync(dir, { recursive: true, force: true })

console.log(machine())
console.log(`receiver with its inbox: 32 connections, ${SECONDS} s per measurement after 2 s warm-up`)
if (postgres === undefined) console.log("(PostgreSQL skipped: set DATABASE_URL=postgres://... to include it)")
console.log("| store, mode | accepted/s | processed/s | p99 ms | non-2xx | left undone |")
console.log("|---|---:|---:|---:|---:|---:|")
for (const row of rows) console.log(row)
