/**
 * The inbox's writer thread for a SQLite file: a `worker_threads` thread that owns its own `node:sqlite` connection to
 * the file, writes each batch of claims, settles and enqueues it is sent in one transaction with SQLite's statements
 * (`InboxSql.sqlite`), makes it durable, and only then answers. The event loop never waits on SQLite's CPU or on the
 * disk: it sends compact records (a statement's index and its parameters) and reads the rows it is answered with.
 * Both editions' inbox use it for a SQLite file when asked (`WebhookInbox.layerSql({ writer: "thread" })` in the
 * Effect 4 edition); the `npm start` receiver does by default.
 *
 * Durability: in WAL mode the thread's connection runs at `synchronous = NORMAL` and the thread `fdatasync`s the log
 * after every batch, changed or not, before it answers; in another journal mode at `synchronous = FULL`. So every
 * answer comes after what it wrote, and every commit before it from any connection to the file, is on disk: a
 * delivery answered 200 on it survives a power loss.
 *
 * Needs Node.js 22.13 or later (`node:sqlite` without a flag). The file must exist and be migrated: an inbox's own
 * connection does that when it starts (`WebhookInbox.layerSql` of either edition, or `npm start`, which records the
 * migrations it ran, so that a later start does not run them again). The thread opens the file, never creates it nor
 * its schema: a path with no file fails its start, saying so.
 *
 * @since 0.4.0
 */
import * as internal from "./internal/inbox/writer.js"

/**
 * One write the thread carries: `kind` and the fields of `InboxSql.Claim`, `InboxSql.Settle` or `InboxSql.Enqueue`.
 *
 * @since 0.4.0
 * @category models
 */
export type Write = internal.Write

/**
 * A claim's token (its attempt number; null when it was not claimed), or for a settle or an enqueue whether it
 * changed the row: what `InboxSql.sqlite`'s statements read from their rows.
 *
 * @since 0.4.0
 * @category models
 */
export type Written = internal.Written

/**
 * What SQLite said when a write or a batch failed: its message, and its codes where it gave them (`code`, e.g.
 * `ERR_SQLITE_ERROR`; `errcode`, SQLite's extended result code, e.g. 5 for `SQLITE_BUSY`).
 *
 * @since 0.4.0
 * @category models
 */
export type Failure = internal.Failure

/**
 * One write's outcome: its value, or its own failure (the other writes of its batch were written without it).
 *
 * @since 0.4.0
 * @category models
 */
export type Outcome = internal.Outcome

/**
 * Where the thread writes: `file`, the SQLite database file (created and migrated already); `busyTimeout`, how long a
 * write waits for a lock another connection holds, in milliseconds (default 5,000).
 *
 * @since 0.4.0
 * @category models
 */
export type Options = internal.Options

/**
 * A writer thread. `ready` resolves once the thread has opened the file and prepared its statements; it rejects with
 * an `Error` carrying the `Failure`'s fields for one that could not (a store awaits it when it starts, so that a file
 * the thread cannot open fails the start, not the first delivery). `write` sends a batch and resolves, once it is
 * committed and durable, with one outcome per write, in order; it rejects with an `Error` carrying a `Failure`'s
 * fields when the batch as a whole failed (its commit or its sync, or the thread stopped: then nothing of it is known
 * to be durable, and the next write starts a new thread). `close` lets the batches sent finish, closes the connection
 * and ends the thread; a write after it rejects.
 *
 * @since 0.4.0
 * @category models
 */
export type Writer = internal.Writer

/**
 * Starts the writer thread for `options.file` (at `ready` or the first write). Throws on a runtime without
 * `node:worker_threads`. While it starts or a batch is out the thread keeps the process alive; idle, it does not.
 *
 * @example
 * ```ts
 * import { InboxWriter } from "openai-webhooks-engine"
 *
 * // The file `npm start` made and migrated (run it once first); any inbox's file will do.
 * const writer = InboxWriter.open({ file: ".data/openai-webhooks.sqlite" })
 * await writer.ready()
 * const [claimed] = await writer.write([{
 *   kind: "claim", id: "msg_1", eventType: "response.completed", timestamp: 1_700_000_000,
 *   body: "{}", lockedUntil: Date.now() + 30_000, now: Date.now()
 * }])
 * await writer.close()
 * ```
 *
 * @since 0.4.0
 * @category constructors
 */
export const open: (options: Options) => Writer = internal.open
