/**
 * How the receiver fails to start, each failure with what to do about it, and the exit code each gives:
 * decided here, for `npm start` and `openai-webhooks serve` alike.
 *
 * - 0: stopped by SIGINT or SIGTERM.
 * - 1: the receiver is set up right but its surroundings fail it: the database cannot be opened, reached or
 *   prepared ({@link DatabaseUnavailable}), the address cannot be listened on ({@link ListenFailed}: in use, not
 *   allowed, not this machine's).
 * - 2: the receiver is set up wrong: change how it is installed or started ({@link InvalidConfig}: an environment
 *   variable or a `serve` flag; {@link InvalidSecret}; {@link MissingDriver}).
 *
 * Each prints as two lines on stderr, `error: ...` and `hint: ...`, never a stack trace; a secret or a
 * password never appears in either.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Predicate from "effect/Predicate"
import { type Ending, explain } from "../main.js"

/** What went wrong, and what to do about it: the `error:` and `hint:` lines. */
interface Explained {
  readonly message: string
  readonly hint: string
}

/** An environment variable (or the `serve` flag over it) holds a value the receiver cannot use. Exit code 2. */
export class InvalidConfig extends Data.TaggedError("InvalidConfig")<Explained> {}

/** `OPENAI_WEBHOOK_SECRET` is set but is not a usable secret (the library's `SecretError` says why). Exit code 2. */
export class InvalidSecret extends Data.TaggedError("InvalidSecret")<Explained> {}

/**
 * The database `DATABASE_URL` names needs a driver package that is not installed: a dependency of this package, so
 * the installation is incomplete. Exit code 2.
 */
export class MissingDriver extends Data.TaggedError("MissingDriver")<{
  /** The npm package that is missing: `@effect/sql-sqlite-node` or `@effect/sql-pg`. */
  readonly package: string
  /** What to `npm install` for it: the package at the range this package depends on (`@effect/sql-pg@~4.1.5`). */
  readonly install: string
  /** The database, as logs show it (never a password). */
  readonly database: string
}> {
  override get message(): string {
    return `the inbox's database is ${this.database}, and its driver ${this.package} is not installed`
  }
  get hint(): string {
    return `npm install ${this.install}`
  }
}

/** The database cannot be opened, reached or prepared (its table made). Exit code 1. */
export class DatabaseUnavailable extends Data.TaggedError("DatabaseUnavailable")<Explained> {}

/**
 * The server cannot listen on `HOST`:`PORT`: the port is in use or reserved, or the address is not this
 * machine's. Exit code 1.
 */
export class ListenFailed extends Data.TaggedError("ListenFailed")<Explained> {}

export type ReceiverError = InvalidConfig | InvalidSecret | MissingDriver | DatabaseUnavailable | ListenFailed

const codes: { readonly [Tag in ReceiverError["_tag"]]: 1 | 2 } = {
  InvalidConfig: 2,
  InvalidSecret: 2,
  MissingDriver: 2,
  DatabaseUnavailable: 1,
  ListenFailed: 1
}

export const isReceiverError = (u: unknown): u is ReceiverError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && Object.hasOwn(codes, u._tag)

/** 2 for what the person starting the receiver must change, 1 for what failed around it. */
export const exitCode = (error: ReceiverError): 1 | 2 => codes[error._tag]

/** How the receiver ends (see `../main.ts`): each failure as its `error:` and `hint:` lines, with its exit code. */
export const ending: Ending = {
  render: (failure) => isReceiverError(failure) ? explain(failure) : undefined,
  exitCode: (failure) => isReceiverError(failure) ? exitCode(failure) : 1
}

/** One line from any thrown value and its causes: what a log or an `error:` line can show. */
export const describe = (u: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = u
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    if (current instanceof AggregateError && current.errors.length > 0) {
      parts.push(current.errors.map(describe).join("; "))
      break
    }
    if (current instanceof Error) {
      if (current.message !== "") parts.push(current.message)
      current = current.cause
    } else {
      parts.push(String(current))
      break
    }
  }
  return parts.join(": ").replace(/\s+/g, " ").trim()
}

/**
 * `layer`, its failures mapped by `f` (Effect 4's `Layer` has no `mapError`): built in the layer's own scope, so its
 * services live as long as it does.
 */
export const mapLayerError = <A, E, R, E2>(
  layer: Layer.Layer<A, E, R>,
  f: (error: E) => E2
): Layer.Layer<A, E2, R> => Layer.effectContext(Effect.mapError(Layer.build(layer), f))
