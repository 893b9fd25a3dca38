/**
 * The inbox's writer thread, from the event loop's side: starts `writerThread` with SQLite's statements, sends it
 * batches of claims, settles and enqueues as compact records (the statement's index and its parameters), and reads
 * the rows it answers with through the engine's statements. `node:worker_threads` is found at run time, never
 * imported: the engine loads on every runtime.
 *
 * @internal
 */
import type { Claim, Enqueue, Query, Settle } from "./statements.js"
import { sqlite } from "./sqlite.js"
import type { Answer, Failure, Request, Start, Write as ThreadWrite } from "./writerThread.js"

export type { Failure } from "./writerThread.js"

export type Write =
  | (Claim & { readonly kind: "claim" })
  | (Settle & { readonly kind: "settle" })
  | (Enqueue & { readonly kind: "enqueue" })

/** A claim's token (null: not claimed); a settle's or an enqueue's `true` when it changed the row. */
export type Written = number | boolean | null

export type Outcome = { readonly ok: true; readonly value: Written } | { readonly ok: false; readonly error: Failure }

export interface Options {
  /** The SQLite database file, already created and migrated by the store's own connection. */
  readonly file: string
  /** How long a write waits for a lock another connection holds, in milliseconds. Default: 5,000. */
  readonly busyTimeout?: number | undefined
}

export interface Writer {
  /**
   * Resolves once the thread has opened the file and prepared its statements; rejects with the failure of a thread
   * that could not (the next write starts another).
   */
  readonly ready: () => Promise<void>
  readonly write: (writes: ReadonlyArray<Write>) => Promise<ReadonlyArray<Outcome>>
  readonly close: () => Promise<void>
}

/** The statements the thread prepares, in the order of their index. */
const KINDS = ["claim", "settle", "enqueue"] as const
const INDEX: { readonly [K in Write["kind"]]: number } = { claim: 0, settle: 1, enqueue: 2 }
// Typed for any write: each is only ever given a write of its own kind.
const STATEMENT = { claim: sqlite.claim, settle: sqlite.settle, enqueue: sqlite.enqueue } as unknown as {
  readonly [K in Write["kind"]]: Query<Write, Written>
}

/** The thread's script: beside this file, compiled (`.js`) or, in the engine's own tests, its source (`.ts`). */
const script = (): URL => new URL(`./writerThread${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url)

type WorkerThreads = typeof import("node:worker_threads")

const workerThreads = (): WorkerThreads => {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const module = process?.getBuiltinModule?.call(process, "node:worker_threads") as WorkerThreads | undefined
  if (module === undefined) throw new Error("the inbox's writer thread needs node:worker_threads (Node.js)")
  return module
}

/** A rejection: an `Error` (with its stack) that carries a {@link Failure}'s fields. */
const rejection = (failure: Failure): Error & Failure => {
  const error = new Error(failure.message) as Error & { code?: string; errcode?: number }
  if (failure.code !== undefined) error.code = failure.code
  if (failure.errcode !== undefined) error.errcode = failure.errcode
  return error
}

/** The message of a batch whose thread stopped before answering it. */
export const stopped = (file: string, why: string): string =>
  `the inbox's writer thread for ${file} stopped before it answered: ${why}`

interface Waiting {
  readonly resolve: (outcomes: ReadonlyArray<Outcome>) => void
  readonly reject: (failure: Error & Failure) => void
  readonly writes: ReadonlyArray<Write>
}

export const open = (options: Options): Writer => {
  const { Worker } = workerThreads()
  const start: Start = {
    file: options.file,
    texts: KINDS.map((kind) => STATEMENT[kind].text),
    busyTimeout: options.busyTimeout ?? 5_000
  }
  let worker: InstanceType<WorkerThreads["Worker"]> | undefined
  /** The current thread's start: resolved when it says it is ready, rejected if it stops before. */
  let started: Promise<void> = Promise.resolve()
  let closed = false
  let seq = 0
  const waiting = new Map<number, Waiting>()

  const answered = (answer: Answer) => {
    if (answer._tag === "ready") return
    const batch = waiting.get(answer.seq)
    if (batch === undefined) return
    waiting.delete(answer.seq)
    if (waiting.size === 0) worker?.unref()
    if (answer._tag === "failed") return batch.reject(rejection(answer.failure))
    batch.resolve(answer.results.map((result, i): Outcome => {
      if ("failure" in result) return { ok: false, error: result.failure }
      const write = batch.writes[i]!
      return { ok: true, value: STATEMENT[write.kind].read(result.rows, write) }
    }))
  }

  /** The thread stopped (it threw, or could not open its file): what waits fails; the next write starts another. */
  const lost = (from: InstanceType<WorkerThreads["Worker"]>, why: string) => {
    if (worker !== from) return
    worker = undefined
    const failure = rejection({ message: stopped(options.file, why) })
    for (const batch of waiting.values()) batch.reject(failure)
    waiting.clear()
  }

  const thread = () => {
    if (worker !== undefined) return worker
    const fresh = new Worker(script(), { workerData: start })
    started = new Promise<void>((resolve, reject) => {
      fresh.on("message", (answer: Answer) => {
        if (answer._tag !== "ready") return answered(answer)
        // Started: from now on only a batch out keeps the process alive.
        if (waiting.size === 0) fresh.unref()
        resolve()
      })
      fresh.on("error", (error) => {
        const why = error instanceof Error ? error.message : String(error)
        reject(rejection({ message: stopped(options.file, why) }))
        lost(fresh, why)
      })
      fresh.on("exit", (code) => {
        reject(rejection({ message: stopped(options.file, `it exited with code ${code}`) }))
        lost(fresh, `it exited with code ${code}`)
      })
    })
    // Awaited by `ready` when asked; a thread that fails to start fails the writes sent to it too. While it starts it
    // keeps the process alive (a program awaiting `ready` may have nothing else to).
    started.catch(() => {})
    worker = fresh
    return fresh
  }

  return {
    ready: () => {
      if (closed) return Promise.reject(rejection({ message: stopped(options.file, "the inbox was closed") }))
      thread()
      return started
    },
    write: (writes) =>
      new Promise((resolve, reject) => {
        if (closed) return reject(rejection({ message: stopped(options.file, "the inbox was closed") }))
        const records: Array<ThreadWrite> = writes.map((write) => [
          INDEX[write.kind],
          STATEMENT[write.kind].params(write)
        ])
        const target = thread()
        const id = seq++
        waiting.set(id, { resolve, reject, writes })
        // While a batch is out the thread keeps the process alive; idle, it does not.
        if (waiting.size === 1) target.ref()
        target.postMessage({ _tag: "batch", seq: id, writes: records } satisfies Request)
      }),
    close: () => {
      closed = true
      const last = worker
      if (last === undefined) return Promise.resolve()
      return new Promise<void>((resolve) => {
        last.once("exit", () => resolve())
        last.ref()
        last.postMessage({ _tag: "close" } satisfies Request)
      })
    }
  }
}
