/**
 * Deliveries per second the receiver (`npm start`, the inbox included) sustains, inline and queued, on
 * SQLite and PostgreSQL (when DATABASE_URL names one), beside the official SDK with no dedupe and the SDK with
 * a hand-built durable dedupe (bench/http-server.ts `sdk-durable`). Same load as bench/http.ts: autocannon, 32
 * connections, a freshly signed delivery with its own webhook-id per request.
 *
 * - accepted/s: 200 answers per second while loaded;
 * - processed/s: deliveries whose handler ran, from the start of the load until the last one is done
 *   (inline: the same as accepted; queued: the workers catch up after the load).
 *
 * Before and after in one run: BENCH_BEFORE=<dir>[,<dir>...] names other checkouts (each with its node_modules);
 * each one's receiver (its compiled dist, run by packages/cli/bench/http-server.mjs; an Effect 3 tree's own
 * `bench/http-server.ts receiver`) is loaded for every inbox row too, alternating with this tree's, and its columns
 * are printed beside this tree's, labelled by its `git rev-parse --short HEAD`.
 * BENCH_ROUNDS (default 2) rounds; each measurement gets a fresh SQLite file or a fresh PostgreSQL schema.
 *
 * Run: npm run bench (or: [BENCH_BEFORE=../base] [BENCH_ROUNDS=2] npx tsx bench/inbox.ts [seconds])
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import Sqlite from "better-sqlite3"
import pg from "pg"
import {
  benchTrees,
  buildTrees,
  CONNECTIONS,
  freePort,
  load,
  machine,
  median,
  RUN_PREFIX,
  runsEffect4,
  start,
  stop,
  type Tree
} from "./lib.js"

const SECONDS = Number(process.argv[2] ?? 6)
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 2)
const WARM_UP_SECONDS = 2
/** How long the queued workers may take to catch up after the load before the rest is counted as left undone. */
const DRAIN_MS = 120_000
const postgres = /^postgres(ql)?:\/\//.test(process.env["DATABASE_URL"] ?? "") ? process.env["DATABASE_URL"]! : undefined
const HERE = fileURLToPath(new URL("..", import.meta.url))

if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`BENCH_ROUNDS must be a positive integer, got ${ROUNDS}`)
if (!(SECONDS > 0)) throw new Error(`seconds must be a positive number, got ${process.argv[2]}`)

// The trees whose receivers are measured: this one first, then BENCH_BEFORE's.
const trees = benchTrees(HERE)
buildTrees(trees)
if (trees.some((tree) => tree.effect === 4) && !runsEffect4()) {
  console.log(`(the receiver runs on Effect 4, which needs Node.js 22.19 or newer; this is ${process.version}: ` +
    "bench/inbox.ts measures nothing here)")
  process.exit(0)
}

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

const pgAdmin = async <A>(url: string, f: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

/** `url` with every connection's search_path set to `schema`: the receiver migrates and works there. */
const inSchema = (url: string, schema: string) =>
  `${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`

interface Engine {
  readonly name: string
  readonly mode: "inline" | "queued"
  /** A database of its own for one measurement: the receiver's DATABASE_URL, its counter, and how to remove it. */
  readonly fresh: (n: number) => Promise<{ url: string; count: Count; remove: () => Promise<void> }>
}

interface Result {
  readonly accepted: number
  readonly processed: number
  readonly p99: number
  readonly bad: number
  readonly backlog: number
}

const dir = mkdtempSync(join(tmpdir(), "openai-webhooks-bench-"))
const removeDir = () => rmSync(dir, { recursive: true, force: true })
process.once("SIGINT", () => {
  removeDir()
  process.exit(130)
})

const engines: Array<Engine> = []
for (const mode of ["inline", "queued"] as const) {
  engines.push({
    name: `SQLite file, ${mode}`,
    mode,
    fresh: async (n) => {
      const file = join(dir, `${n}-${mode}.sqlite`)
      return {
        url: `sqlite:${file}`,
        count: sqliteCounter(file),
        remove: async () => {
          for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true })
        }
      }
    }
  })
}
if (postgres !== undefined) {
  for (const mode of ["inline", "queued"] as const) {
    engines.push({
      name: `PostgreSQL, ${mode}`,
      mode,
      fresh: async (n) => {
        const schema = `openai_webhooks_bench_${process.pid}_${n}`
        await pgAdmin(postgres, (client) => client.query(`CREATE SCHEMA ${schema}`))
        const url = inSchema(postgres, schema)
        return {
          url,
          count: pgCounter(url),
          remove: async () => {
            await pgAdmin(postgres, (client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))
          }
        }
      }
    })
  }
}

let measurements = 0

/** Loads one server (warm-up, then SECONDS measured) and, with `count`, waits for its workers to catch up. */
const measure = async (
  kind: string,
  tree: Tree,
  env: Record<string, string>,
  count?: Count
): Promise<Result> => {
  const port = await freePort()
  const child = await start(kind, port, env, { cwd: tree.cwd, label: tree.label })
  try {
    await load(port, WARM_UP_SECONDS) // warm-up, and the table exists
    const before = await count?.()
    const started = performance.now()
    const result = await load(port, SECONDS)
    const loaded = performance.now()
    const accepted = result.requests.average
    const bad = result.non2xx + result.errors + result.timeouts
    if (count === undefined || before === undefined) {
      return { accepted, processed: accepted, p99: result.latency.p99, bad, backlog: 0 }
    }
    let now = await count()
    // Queued: wait (bounded) until the workers have done everything accepted.
    while (now.done < now.total && performance.now() < loaded + DRAIN_MS) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      now = await count()
    }
    const finished = performance.now()
    return {
      accepted,
      processed: (now.done - before.done) / ((finished - started) / 1000),
      p99: result.latency.p99,
      bad,
      backlog: now.total - now.done
    }
  } finally {
    await stop(child)
  }
}

const measureReceiver = async (engine: Engine, tree: Tree): Promise<Result> => {
  const database = await engine.fresh(measurements++)
  try {
    return await measure("receiver", tree, { DATABASE_URL: database.url, WEBHOOK_MODE: engine.mode }, database.count)
  } finally {
    await database.remove()
  }
}

const peers = [
  ["openai@6.49.0 webhooks.unwrap on node:http, no dedupe", "sdk"],
  ["the same + hand-built durable dedupe (better-sqlite3, WAL, synchronous = FULL)", "sdk-durable"]
] as const

// results.get(key)[round]: key is `${engine.name}|${tree.label}` or a peer's kind.
const results = new Map<string, Array<Result>>()
const record = (key: string, result: Result) => {
  if (!results.has(key)) results.set(key, [])
  results.get(key)!.push(result)
}
const notes: Array<string> = []
const note = (what: string, round: number, result: Result) => {
  if (result.bad > 0 || result.backlog > 0) {
    notes.push(`${what}, round ${round + 1}: ${result.bad} non-2xx, ${result.backlog} left undone`)
  }
}

const began = performance.now()
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, kind] of peers) {
      const file = join(dir, `${measurements++}-${kind}.sqlite`)
      const result = await measure(kind, trees[0]!, { BENCH_SQLITE_FILE: file })
      record(kind, result)
      note(name, round, result)
    }
    // Alternate which tree goes first, so that drift over the run does not favour one.
    const order = round % 2 === 0 ? trees : [...trees].reverse()
    for (const engine of engines) {
      for (const tree of order) {
        const result = await measureReceiver(engine, tree)
        record(`${engine.name}|${tree.label}`, result)
        note(`${engine.name} at ${tree.label}`, round, result)
      }
    }
  }
} finally {
  removeDir()
}
const took = (performance.now() - began) / 1000

const int = (value: number) => Math.round(value).toLocaleString("en-US")
/** Every round's value when there are few, otherwise their median. */
const cell = (values: ReadonlyArray<number>, format: (value: number) => string) =>
  values.length <= 3 ? values.map(format).join(" / ") : format(median(values))
const of = (key: string) => results.get(key)!
const mid = (key: string, field: keyof Result) => median(of(key).map((r) => r[field]))
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`

console.log(machine())
console.log(
  `${CONNECTIONS} connections, ${SECONDS} s per measurement after ${WARM_UP_SECONDS} s warm-up, ${ROUNDS} rounds (${
    ROUNDS <= 3 ? "every round shown, in order" : "medians"
  }), ratios of medians; run took ${Math.round(took)} s`
)
if (postgres === undefined) console.log("(PostgreSQL skipped: set DATABASE_URL=postgres://... to include it)")

console.log("\nDurable receivers (npm start: SQLite file, inline):\n")
console.log("| server | req/s | p99 ms | ours vs it |")
console.log("|---|---:|---:|---:|")
const ours = mid(`${engines[0]!.name}|${trees[0]!.label}`, "accepted")
for (const [name, kind] of peers) {
  console.log(
    `| ${name} | ${cell(of(kind).map((r) => r.accepted), int)} | ${cell(of(kind).map((r) => r.p99), String)} | ${
      ratio(ours, mid(kind, "accepted"))
    } |`
  )
}
for (const tree of trees) {
  const key = `${engines[0]!.name}|${tree.label}`
  const name = tree === trees[0]
    ? `**npm start** (${tree.label}, Effect ${tree.effect})`
    : `npm start at ${tree.label} (before, Effect ${tree.effect})`
  console.log(
    `| ${name} | ${cell(of(key).map((r) => r.accepted), int)} | ${cell(of(key).map((r) => r.p99), String)} | ${
      ratio(ours, mid(key, "accepted"))
    } |`
  )
}
console.log(
  `\nours vs SDK no dedupe: ${ratio(ours, mid("sdk", "accepted"))}; ours vs the durable peer: ${
    ratio(ours, mid("sdk-durable", "accepted"))
  }`
)

console.log("\nThe receiver with its inbox (accepted/s, processed/s, p99 ms):\n")
const columns = trees.flatMap((tree, i) => {
  const tag = trees.length === 1
    ? `${tree.label}, Effect ${tree.effect}`
    : `${tree.label}${i === 0 ? " (after" : " (before"}, Effect ${tree.effect})`
  return [`accepted/s ${tag}`, `processed/s ${tag}`, `p99 ${tag}`]
})
const versus = trees.slice(1).map((tree) => `after vs ${tree.label}: accepted, processed`)
console.log(`| store, mode | ${[...columns, ...versus].join(" | ")} |`)
console.log(`|---|${[...columns, ...versus].map(() => "---:").join("|")}|`)
for (const engine of engines) {
  const after = `${engine.name}|${trees[0]!.label}`
  const cells = trees.flatMap((tree) => {
    const runs = of(`${engine.name}|${tree.label}`)
    return [
      cell(runs.map((r) => r.accepted), int),
      cell(runs.map((r) => r.processed), int),
      cell(runs.map((r) => r.p99), String)
    ]
  })
  const ratios = trees.slice(1).map((tree) => {
    const before = `${engine.name}|${tree.label}`
    return `${ratio(mid(after, "accepted"), mid(before, "accepted"))}, ${
      ratio(mid(after, "processed"), mid(before, "processed"))
    }`
  })
  console.log(`| ${engine.name} | ${[...cells, ...ratios].join(" | ")} |`)
}
if (notes.length > 0) {
  console.log("\nNot every delivery was answered 200 or done:")
  for (const line of notes) console.log(`- ${line}`)
}
