/**
 * The inbox's writer thread (see `writer.ts`, which starts it): it owns one `node:sqlite` connection to the store's
 * file and writes each batch it is sent in one transaction, then makes it durable before it answers. It knows no
 * statement of its own: it is given the texts once, and per write the index of its text and its parameters; the
 * event loop reads the rows it answers with. It imports nothing but Node's own modules, and uses only syntax that
 * Node can strip of its types, so that it runs from the engine's source in tests as it does from `dist`.
 *
 * Durability: in WAL mode the connection runs at `synchronous = NORMAL` and the thread `fdatasync`s the log after
 * every batch, whether or not the batch changed anything: a claim that found its delivery done answers only after
 * the log holding that `done` (committed by any connection) is on disk. In another journal mode the connection runs
 * at `synchronous = FULL`, where each commit is durable when it returns.
 *
 * @internal
 */
import * as fs from "node:fs"
import { parentPort, workerData } from "node:worker_threads"

/**
 * The part of `node:sqlite` the thread uses, typed here: the engine's types are those of Node.js 20, its floor, which
 * has no `node:sqlite` (this thread needs 22.13).
 */
interface StatementSync {
  readonly all: (...params: Array<unknown>) => Array<Record<string, unknown>>
  readonly get: (...params: Array<unknown>) => Record<string, unknown> | undefined
  readonly run: (...params: Array<unknown>) => unknown
}
interface DatabaseSync {
  readonly exec: (text: string) => void
  readonly prepare: (text: string) => StatementSync
  readonly close: () => void
  readonly isTransaction: boolean
}
const { DatabaseSync } = process.getBuiltinModule("node:sqlite") as {
  readonly DatabaseSync: new(file: string) => DatabaseSync
}

/** What the thread is started with. */
export interface Start {
  readonly file: string
  /** The statements' texts; a write names its statement by its index here. */
  readonly texts: ReadonlyArray<string>
  /** How long a write waits for a lock another connection holds, in milliseconds. */
  readonly busyTimeout: number
}

/** One write: the index of its statement's text, and its parameters. */
export type Write = readonly [statement: number, params: ReadonlyArray<unknown>]

/** A failure, as the event loop is told it: SQLite's message and codes. */
export interface Failure {
  readonly message: string
  readonly code?: string | undefined
  readonly errcode?: number | undefined
}

export type Request =
  | { readonly _tag: "batch"; readonly seq: number; readonly writes: ReadonlyArray<Write> }
  | { readonly _tag: "close" }

/** One write's rows, or its own failure. */
export type Result = { readonly rows: ReadonlyArray<Record<string, unknown>> } | { readonly failure: Failure }

/** Per write, its result; or the batch's failure (nothing of it is known durable). */
export type Answer =
  | { readonly _tag: "ready" }
  | { readonly _tag: "written"; readonly seq: number; readonly results: ReadonlyArray<Result> }
  | { readonly _tag: "failed"; readonly seq: number; readonly failure: Failure }

const failureOf = (error: unknown): Failure => {
  if (error instanceof Error) {
    const { code, errcode } = error as { code?: unknown; errcode?: unknown }
    return {
      message: error.message,
      code: typeof code === "string" ? code : undefined,
      errcode: typeof errcode === "number" ? errcode : undefined
    }
  }
  return { message: String(error) }
}

const start = workerData as Start
const port = parentPort!
// The store's own connection creates the file and its schema; opening a path with none would create an empty file.
if (!fs.existsSync(start.file)) {
  throw new Error(
    `no database file at ${start.file}: the inbox's own connection creates and migrates it (WebhookInbox.layerSql, ` +
      "or npm start) before the writer thread opens it"
  )
}
const db = new DatabaseSync(start.file)
db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(start.busyTimeout))}`)
const wal = String(db.prepare("PRAGMA journal_mode").get()?.["journal_mode"]) === "wal"
db.exec(wal ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL")
const statements: ReadonlyArray<StatementSync> = start.texts.map((text) => db.prepare(text))
const begin = db.prepare("BEGIN IMMEDIATE")
const commit = db.prepare("COMMIT")

/** The log's descriptor, opened at the first sync (SQLite creates the file with its first write). */
let log: number | undefined
const sync = (): void => {
  if (!wal) return
  if (log === undefined) {
    try {
      log = fs.openSync(`${start.file}-wal`, "r+")
    } catch (error) {
      // No log yet: nothing was ever committed through it, so nothing waits to be made durable.
      if ((error as { code?: unknown }).code === "ENOENT") return
      throw error
    }
  }
  fs.fdatasyncSync(log)
}

const rollback = (): void => {
  if (db.isTransaction) db.exec("ROLLBACK")
}

/**
 * The batch in one transaction. A write that fails rolls it back: that write is answered with its failure, and the
 * others are written again without it (SQLite undoes only the failed statement for most errors, but the whole
 * transaction for some, a full disk or an I/O error: starting again is right in both cases).
 */
const write = (writes: ReadonlyArray<Write>): Array<Result> => {
  const results: Array<Result> = new Array(writes.length)
  let left = writes.map((_, i) => i)
  while (left.length > 0) {
    begin.run()
    let failed = -1
    for (const i of left) {
      const [statement, params] = writes[i]!
      try {
        results[i] = { rows: statements[statement]!.all(...params) }
      } catch (error) {
        results[i] = { failure: failureOf(error) }
        failed = i
        break
      }
    }
    if (failed === -1) {
      commit.run()
      break
    }
    rollback()
    left = left.filter((i) => i !== failed)
  }
  return results
}

port.on("message", (request: Request) => {
  if (request._tag === "close") {
    if (log !== undefined) fs.closeSync(log)
    db.close()
    port.close()
    return
  }
  let answer: Answer
  try {
    const results = write(request.writes)
    sync()
    answer = { _tag: "written", seq: request.seq, results }
  } catch (error) {
    try {
      rollback()
    } catch {
      // The connection is beyond a rollback: the next batch's BEGIN says so.
    }
    answer = { _tag: "failed", seq: request.seq, failure: failureOf(error) }
  }
  port.postMessage(answer)
})

// The file opened and the statements prepared: the writer may send.
port.postMessage({ _tag: "ready" } satisfies Answer)
