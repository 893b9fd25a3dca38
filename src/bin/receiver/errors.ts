/**
 * How the receiver fails to start, each failure with what to do about it, and the exit code each gives:
 * decided here, for `npm start` and `openai-webhooks serve` alike.
 *
 * | exit | when |
 * |---:|---|
 * | 0 | stopped by SIGINT or SIGTERM |
 * | 1 | the receiver is set up right but its surroundings fail it: the database cannot be opened, reached or prepared ({@link DatabaseUnavailable}), the address cannot be listened on ({@link ListenFailed}: in use, not allowed, not this machine's) |
 * | 2 | the receiver is set up wrong: change how it is installed or started ({@link InvalidConfig}: an environment variable or `serve` flag; {@link InvalidSecret}; {@link MissingDriver}) |
 *
 * Each prints as two lines on stderr, `error: ...` and `hint: ...`, never a stack trace; a secret or a
 * password never appears in either.
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"

/** An environment variable (or the `serve` flag over it) holds a value the receiver cannot use. Exit code 2. */
export class InvalidConfig extends Data.TaggedError("InvalidConfig")<{
  readonly message: string
  readonly hint: string
}> {}

/** `OPENAI_WEBHOOK_SECRET` is set but is not a usable secret (the library's `SecretError` says why). Exit code 2. */
export class InvalidSecret extends Data.TaggedError("InvalidSecret")<{
  readonly message: string
  readonly hint: string
}> {}

/** The database `DATABASE_URL` names needs a driver package that is not installed. Exit code 2. */
export class MissingDriver extends Data.TaggedError("MissingDriver")<{
  /** The npm package to add: `@effect/sql-sqlite-node` or `@effect/sql-pg`. */
  readonly package: string
  /** The database, as logs show it (never a password). */
  readonly database: string
}> {
  override get message(): string {
    return `the inbox's database is ${this.database}, and its driver ${this.package} is not installed`
  }
  get hint(): string {
    return `npm install ${this.package}`
  }
}

/** The database cannot be opened, reached or prepared (its table made). Exit code 1. */
export class DatabaseUnavailable extends Data.TaggedError("DatabaseUnavailable")<{
  readonly message: string
  readonly hint: string
}> {}

/** The server cannot listen on `HOST`:`PORT`: the port is in use or reserved, or the address is not this machine's. Exit code 1. */
export class ListenFailed extends Data.TaggedError("ListenFailed")<{
  readonly message: string
  readonly hint: string
}> {}

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

/** The `error:` and `hint:` lines of one failure. */
export const render = (error: ReceiverError): string => `error: ${error.message}\nhint: ${error.hint}\n`

/**
 * What a run's end says: every failure of ours in `error:`/`hint:` lines, anything else (a bug) in full,
 * and nothing for an interruption (a signal stopped it).
 */
export const report = (cause: Cause.Cause<unknown>): string => {
  if (Cause.isInterruptedOnly(cause)) return ""
  const failures = [...Cause.failures(cause)]
  const ours = failures.filter(isReceiverError)
  if (ours.length === failures.length && !Cause.isDie(cause)) return [...new Set(ours.map(render))].join("")
  return Cause.pretty(cause, { renderErrorCause: true }) + "\n"
}

/** The exit code of a run: see the table above; a defect (a bug) is 1. */
export const exitCodeOf = <E, A>(exit: Exit.Exit<A, E>): number =>
  Exit.match(exit, {
    onSuccess: () => 0,
    onFailure: (cause) =>
      Cause.isInterruptedOnly(cause)
        ? 0
        : Option.match(Cause.failureOption(cause), {
          onNone: () => 1,
          onSome: (error) => isReceiverError(error) ? exitCode(error) : 1
        })
  })

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
