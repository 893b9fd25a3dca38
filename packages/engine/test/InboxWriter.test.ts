/**
 * The inbox's writer thread on real SQLite files (`node:sqlite`, Node.js 22.13+; skipped below, with the reason):
 * what its writes answer, seen from another connection as soon as they are answered; a write that fails alone; a
 * thread that stops (a file with no schema) failing what it was sent and started again by the next write; a lock
 * another connection holds waited for; close letting the batches sent finish.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { InboxSql, InboxWriter } from "openai-webhooks-engine"
import { afterAll, describe, expect, it } from "vitest"

const [major, minor] = process.versions.node.split(".").map(Number) as [number, number]
const hasSqlite = major > 22 || (major === 22 && minor >= 13)
/** What the tests use of `node:sqlite` (the root's types are Node.js 20's, which has none). */
interface Database {
  readonly exec: (text: string) => void
  readonly prepare: (text: string) => {
    readonly get: (...params: Array<unknown>) => Record<string, unknown> | undefined
    readonly all: (...params: Array<unknown>) => Array<Record<string, unknown>>
  }
  readonly close: () => void
}
const sqlite = hasSqlite
  ? (process.getBuiltinModule("node:sqlite") as { readonly DatabaseSync: new(file: string) => Database })
  : undefined

const directory = fs.mkdtempSync(join(tmpdir(), "inbox-writer-"))
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))
let n = 0

/** A new file in WAL mode, migrated as the store's own connection migrates it; that connection, to look with. */
const migrated = (migrate = true) => {
  const file = join(directory, `${n++}.sqlite`)
  const db = new sqlite!.DatabaseSync(file)
  db.exec("PRAGMA journal_mode = WAL")
  if (migrate) for (const migration of InboxSql.sqlite.migrations) for (const text of migration.statements) db.exec(text)
  return { file, db }
}

/** `test` with a writer on a new file (migrated unless told not to) and a connection to look with, both closed after. */
const withWriter = async (
  test: (writer: InboxWriter.Writer, db: Database) => Promise<void>,
  options: { readonly migrate?: boolean; readonly busyTimeout?: number } = {}
) => {
  const { db, file } = migrated(options.migrate ?? true)
  const writer = InboxWriter.open({ file, busyTimeout: options.busyTimeout })
  try {
    await test(writer, db)
  } finally {
    await writer.close()
    db.close()
  }
}

const NOW = 1_800_000_000_000
const claim = (id: string, now = NOW): InboxWriter.Write => ({
  kind: "claim",
  id,
  eventType: "response.completed",
  timestamp: 1_800_000_000,
  body: `{"id":"${id}"}`,
  lockedUntil: now + 30_000,
  now
})
const settle = (id: string, token: number, status: "done" | "failed" = "done"): InboxWriter.Write => ({
  kind: "settle",
  id,
  token,
  status,
  error: status === "done" ? null : "boom",
  nextAttemptAt: null,
  outcome: status === "done" ? "processed" : "failed",
  now: NOW + 1
})
const enqueue = (id: string): InboxWriter.Write => ({
  kind: "enqueue",
  id,
  eventType: "batch.completed",
  timestamp: 1_800_000_000,
  body: `{"id":"${id}"}`,
  now: NOW,
  traceparent: null
})

const statusOf = (db: Database, id: string) =>
  db.prepare(`SELECT status FROM ${InboxSql.tables.deliveries} WHERE webhook_id = ?`).get(id)?.["status"]

describe.skipIf(!hasSqlite)("InboxWriter (node:sqlite on a thread)", () => {
  it("answers each write of a batch as SQLite's statements read it, once another connection can see it", async () =>
    withWriter(async (writer, db) => {
      expect(await writer.write([claim("msg_a"), claim("msg_a"), enqueue("msg_q"), enqueue("msg_q")])).toEqual([
        { ok: true, value: 1 },
        { ok: true, value: null },
        { ok: true, value: true },
        { ok: true, value: false }
      ])
      expect(statusOf(db, "msg_a")).toBe("processing")
      expect(statusOf(db, "msg_q")).toBe("pending")
      // A settle presents the claim's token; a stale one changes nothing.
      expect(await writer.write([settle("msg_a", 2), settle("msg_a", 1)])).toEqual([
        { ok: true, value: false },
        { ok: true, value: true }
      ])
      expect(statusOf(db, "msg_a")).toBe("done")
      expect(await writer.write([claim("msg_a", NOW + 10)])).toEqual([{ ok: true, value: null }])
      // The attempts table is written by the triggers, in the thread's transaction.
      const attempts = db.prepare(`SELECT outcome FROM ${InboxSql.tables.attempts} WHERE webhook_id = ?`).all("msg_a")
      expect(attempts.map((row) => row["outcome"])).toEqual(["processed"])
    }))

  it("fails a write alone: the rest of its batch is written", async () =>
    withWriter(async (writer, db) => {
      // A parameter SQLite cannot bind: that write fails, with SQLite's words; the two around it are written.
      const bad = { ...claim("msg_bad"), body: { not: "a string" } as unknown as string }
      const outcomes = await writer.write([claim("msg_1"), bad, claim("msg_2")])
      expect(outcomes[0]).toEqual({ ok: true, value: 1 })
      expect(outcomes[1]!.ok).toBe(false)
      expect(outcomes[1]!.ok ? "" : outcomes[1]!.error.message).toMatch(/cannot be bound to SQLite parameter 4/)
      expect(outcomes[2]).toEqual({ ok: true, value: 1 })
      expect([statusOf(db, "msg_1"), statusOf(db, "msg_bad"), statusOf(db, "msg_2")]).toEqual([
        "processing",
        undefined,
        "processing"
      ])
    }))

  it("refuses a path with no file, as an Error that says who creates it, and creates none", async () => {
    const file = join(directory, `none-${n++}.sqlite`)
    const writer = InboxWriter.open({ file })
    const refused = await writer.ready().then(() => undefined, (error: unknown) => error)
    expect(refused).toBeInstanceOf(Error)
    expect((refused as Error).message).toContain(`no database file at ${file}: the inbox's own connection creates`)
    expect(fs.existsSync(file)).toBe(false)
    await writer.close()
  })

  it("fails what it was sent when its thread stops, and starts another at the next write", async () =>
    withWriter(async (writer, db) => {
      // No schema: the thread cannot prepare its statements, and stops.
      await expect(writer.write([claim("msg_1")])).rejects.toMatchObject({
        message: expect.stringMatching(/writer thread for .* stopped before it answered: .*no such table/)
    })
    for (const migration of InboxSql.sqlite.migrations) for (const text of migration.statements) db.exec(text)
    expect(await writer.write([claim("msg_1")])).toEqual([{ ok: true, value: 1 }])
    }, { migrate: false }))

  it("waits for a lock another connection holds, and writes once it is let go", async () =>
    withWriter(async (writer, db) => {
      await writer.write([claim("msg_warm")])
      db.exec("BEGIN IMMEDIATE")
      let settled = false
      const writing = writer.write([claim("msg_locked")]).finally(() => {
        settled = true
    })
    // Round trips to the thread and back while the lock is held: the write is still waiting.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(settled).toBe(false)
    db.exec("COMMIT")
    expect(await writing).toEqual([{ ok: true, value: 1 }])
    }))

  it("answers a batch that cannot get the lock in time with the batch's failure", async () =>
    withWriter(async (writer, db) => {
      db.exec("BEGIN IMMEDIATE")
      await expect(writer.write([claim("msg_1")])).rejects.toMatchObject({ message: expect.stringMatching(/locked|busy/i) })
      db.exec("COMMIT")
      expect(await writer.write([claim("msg_1")])).toEqual([{ ok: true, value: 1 }])
    }, { busyTimeout: 50 }))

  it("keeps alive a program that has nothing else to wait on while its thread starts and a batch is out", () => {
    const { db, file } = migrated()
    db.close()
    // A program whose only work is the writer's: Node exits when nothing keeps the event loop alive, so an idle
    // (unref'd) thread during `ready` or a write would end it silently, with code 0, before it printed anything.
    const program = join(directory, `alone-${n++}.mts`)
    const engine = fileURLToPath(new URL("../src/index.ts", import.meta.url))
    fs.writeFileSync(
      program,
      `import { InboxWriter } from ${JSON.stringify(engine)}
const writer = InboxWriter.open({ file: ${JSON.stringify(file)} })
await writer.ready()
console.log("ready")
const [claimed] = await writer.write([${JSON.stringify(claim("msg_alone"))}])
console.log(JSON.stringify(claimed))
await writer.close()
`
    )
    const run = spawnSync(process.execPath, ["--import", "tsx", program], { encoding: "utf8", timeout: 60_000 })
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({
      status: 0,
      stdout: `ready\n${JSON.stringify({ ok: true, value: 1 })}\n`,
      stderr: ""
    })
  })

  it("lets the batches sent before close finish, and refuses a write after it", async () => {
    const { db, file } = migrated()
    const writer = InboxWriter.open({ file })
    const sent = [writer.write([claim("msg_1")]), writer.write([claim("msg_2")])]
    await writer.close()
    expect(await Promise.all(sent)).toEqual([[{ ok: true, value: 1 }], [{ ok: true, value: 1 }]])
    await expect(writer.write([claim("msg_3")])).rejects.toMatchObject({ message: expect.stringContaining("closed") })
    expect(statusOf(db, "msg_2")).toBe("processing")
    db.close()
  })
})
