/**
 * Settings from an environment, by one rule for every variable and every edition: a variable set to the empty
 * string counts as unset; a secret may come from a file named by `<NAME>_FILE` (the convention of Docker and
 * Kubernetes secrets); a whole number is written in decimal digits and lies within bounds that the message states.
 *
 * Nothing here reads a file or the process's environment: the caller passes the environment's values and the
 * file's contents (or the error reading it gave), so that the rule runs alike in Node, in an edge runtime and in a
 * test. No message ever shows a value read from a file.
 *
 * @since 0.4.0
 */
import * as Result from "./Result.js"

/**
 * Why a setting was refused:
 *
 * - `Conflict`: both `<NAME>` and `<NAME>_FILE` are set, so it is unclear which one is meant.
 * - `Empty`: a credential set to the empty string, where unset would mean less protection (see {@link locate}).
 * - `Unreadable`: the file `<NAME>_FILE` names cannot be read (missing, a directory, not allowed).
 * - `EmptyFile`: that file holds nothing (or only one line break).
 * - `NotInteger`: a whole number was expected, written in decimal digits (not `1e3`, `0x10`, `1.5` nor ``).
 * - `OutOfRange`: a whole number outside the bounds the setting accepts.
 *
 * @since 0.4.0
 * @category models
 */
export type Reason = "Conflict" | "Empty" | "Unreadable" | "EmptyFile" | "NotInteger" | "OutOfRange"

/**
 * A refused setting: its {@link Reason}, the variable at fault (`<NAME>_FILE` when the file is), a `message` that
 * says what is wrong and a `hint` that says what to do, neither showing a value read from a file.
 *
 * @since 0.4.0
 * @category models
 */
export interface Problem extends Result.Problem<Reason> {
  readonly variable: string
  readonly hint: string
}

/**
 * The values of an environment, by name: `process.env`, a Worker's `env`, a test's record.
 *
 * @since 0.4.0
 * @category models
 */
export type Environment = Readonly<Record<string, string | undefined>>

/**
 * What is appended to a variable's name to name the file that holds its value instead.
 *
 * @since 0.4.0
 * @category constants
 */
export const FILE_SUFFIX = "_FILE"

/**
 * Where a setting's value is: given directly (`Value`), in a file (`File`, the path from `<NAME>_FILE`), or nowhere
 * (`Unset`). `variable` is the name that holds it, for messages about the value itself.
 *
 * @since 0.4.0
 * @category models
 */
export type Source =
  | { readonly _tag: "Value"; readonly variable: string; readonly value: string }
  | { readonly _tag: "File"; readonly variable: string; readonly path: string }
  | { readonly _tag: "Unset" }

/**
 * A value as set: `undefined` for unset and for the empty string, which counts as unset everywhere (a line
 * `FOO=` in an env file, `FOO= npm start`, a Compose file's empty entry all mean "not set").
 *
 * @since 0.4.0
 * @category parsing
 */
export const value = (environment: Environment, name: string): string | undefined => {
  const found = environment[name]
  return found === undefined || found === "" ? undefined : found
}

/**
 * Where the setting `name` is in `environment`: `<NAME>`, or the file named by `<NAME>_FILE`. Both set (non-empty) is
 * a `Conflict`: a deployment that sets both has one of them wrong, and choosing silently would hide which.
 *
 * With `emptyIsUnset: false`, either variable set to the empty string is `Empty` instead of unset: for a credential
 * whose absence lowers protection (a token that guards an endpoint, the webhook secret), an empty value is far more
 * often a substitution that failed (`TOKEN=${MISSING}`) than a wish to turn the protection off.
 *
 * @since 0.4.0
 * @category parsing
 */
export const locate = (
  environment: Environment,
  name: string,
  options: { readonly emptyIsUnset?: boolean } = {}
): Result.Result<Source, Problem> => {
  const file = `${name}${FILE_SUFFIX}`
  if (options.emptyIsUnset === false) {
    for (const variable of [name, file]) {
      if (environment[variable] === "") {
        return Result.fail({
          reason: "Empty",
          variable,
          message: "it is set but empty",
          hint: `set ${variable} to a value, or unset it: empty is refused for a credential, since unset ` +
            "changes what it protects"
        })
      }
    }
  }
  const direct = value(environment, name)
  const path = value(environment, file)
  if (direct !== undefined && path !== undefined) {
    return Result.fail({
      reason: "Conflict",
      variable: file,
      message: `both ${name} and ${file} are set`,
      hint: `set only one: ${name} to the value, or ${file} to the path of a file holding it`
    })
  }
  if (path !== undefined) return Result.ok({ _tag: "File", variable: file, path })
  if (direct !== undefined) return Result.ok({ _tag: "Value", variable: name, value: direct })
  return Result.ok({ _tag: "Unset" })
}

/** What a failed read's `code` (Node's `errno` names) means to the person who set the path. */
const why = (error: unknown): string => {
  const code = (error as { readonly code?: unknown } | null)?.code
  switch (code) {
    case "ENOENT":
      return "there is no such file"
    case "EACCES":
    case "EPERM":
      return "this user may not read it"
    case "EISDIR":
      return "it is a folder, not a file"
    default:
      return typeof code === "string" ? `it cannot be read (${code})` : "it cannot be read"
  }
}

/**
 * The value in the file of a {@link Source} `File`, from what reading it gave: its text, or the error thrown. One
 * final line break (`\n` or `\r\n`, what `echo` and editors add) is dropped; a file with nothing else is
 * `EmptyFile`; a read that failed is `Unreadable`. The messages name the path (the problem's `variable` names the
 * variable, for the caller to put in front), never the contents.
 *
 * @since 0.4.0
 * @category parsing
 */
export const fromFile = (
  source: { readonly variable: string; readonly path: string },
  read: Result.Result<string, unknown>
): Result.Result<string, Problem> => {
  const { path, variable } = source
  if (!read.ok) {
    return Result.fail({
      reason: "Unreadable",
      variable,
      message: `cannot read ${path}: ${why(read.error)}`,
      hint: `point ${variable} at the file that holds the value (a mounted secret, say), readable by this user`
    })
  }
  const text = read.value.endsWith("\r\n")
    ? read.value.slice(0, -2)
    : read.value.endsWith("\n")
    ? read.value.slice(0, -1)
    : read.value
  if (text === "") {
    return Result.fail({
      reason: "EmptyFile",
      variable,
      message: `the file ${path} is empty`,
      hint: `write the value into ${path}, or point ${variable} at the file that holds it`
    })
  }
  return Result.ok(text)
}

/**
 * The setting `name` read synchronously: `<NAME>`, or the contents of the file `<NAME>_FILE` names, read by `read`
 * (`(path) => readFileSync(path, "utf8")` in Node; it may throw). `undefined` when neither is set. For callers that
 * can wait, {@link locate} then {@link fromFile} do the same around an asynchronous read. `options` as for
 * {@link locate}.
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs"
 * import { Setting } from "openai-webhooks-engine"
 *
 * // OPENAI_WEBHOOK_SECRET, or the file OPENAI_WEBHOOK_SECRET_FILE names (a Docker secret, say).
 * const secret = Setting.read(process.env, "OPENAI_WEBHOOK_SECRET", (path) => readFileSync(path, "utf8"))
 * ```
 *
 * @since 0.4.0
 * @category parsing
 */
export const read = (
  environment: Environment,
  name: string,
  readFile: (path: string) => string,
  options: { readonly emptyIsUnset?: boolean } = {}
): Result.Result<{ readonly variable: string; readonly value: string } | undefined, Problem> => {
  const source = locate(environment, name, options)
  if (!source.ok) return source
  switch (source.value._tag) {
    case "Unset":
      return Result.ok(undefined)
    case "Value":
      return Result.ok({ variable: name, value: source.value.value })
    case "File": {
      let contents: Result.Result<string, unknown>
      try {
        contents = Result.ok(readFile(source.value.path))
      } catch (error) {
        contents = Result.fail(error)
      }
      const found = fromFile(source.value, contents)
      return found.ok ? Result.ok({ variable: source.value.variable, value: found.value }) : found
    }
  }
}

/**
 * The bounds of a whole-number setting, both included.
 *
 * @since 0.4.0
 * @category models
 */
export interface Bounds {
  readonly min: number
  readonly max: number
}

/**
 * How {@link Bounds} read in a message: "from 1 to 65535".
 *
 * @since 0.4.0
 * @category parsing
 */
export const range = (bounds: Bounds): string => `from ${bounds.min} to ${bounds.max}`

/** Decimal digits, one optional minus: `-1` is a number out of range, not a typo of one. */
const DECIMAL = /^-?[0-9]+$/

/**
 * A whole number from its text: decimal digits only (`1e3`, `0x10`, `1.5`, ` 8`, `+8` and `` are `NotInteger`,
 * since JavaScript's `Number` would take most of them and a reader would not), within `bounds` (else
 * `OutOfRange`). The messages say the bounds and quote the text (at most 40 characters of it); `variable` is left
 * empty for the caller, which knows the name.
 *
 * @example
 * ```ts
 * import { Setting } from "openai-webhooks-engine"
 *
 * Setting.integer("32", { min: 1, max: 1000 }) // { ok: true, value: 32 }
 * Setting.integer("0x10", { min: 1, max: 1000 }) // { ok: false, error: { reason: "NotInteger", ... } }
 * ```
 *
 * @since 0.4.0
 * @category parsing
 */
export const integer = (text: string, bounds: Bounds): Result.Result<number, Problem> => {
  const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text)
  const hint = `a whole number ${range(bounds)}, in decimal digits`
  if (!DECIMAL.test(text)) {
    return Result.fail({
      reason: "NotInteger",
      variable: "",
      message: `Expected a whole number ${range(bounds)} in decimal digits, but received ${shown}`,
      hint
    })
  }
  const number = Number(text)
  if (!(number >= bounds.min && number <= bounds.max)) {
    return Result.fail({
      reason: "OutOfRange",
      variable: "",
      message: `Expected a whole number ${range(bounds)}, but received ${shown}`,
      hint
    })
  }
  return Result.ok(number)
}

/**
 * Whether `host` is this machine's loopback (`localhost`, `127.0.0.0/8`, `::1`, `::ffff:127.x.x.x`): an address
 * that only processes on this machine can reach.
 *
 * @since 0.4.0
 * @category parsing
 */
export const isLoopback = (host: string): boolean => {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host
  const lower = bare.toLowerCase()
  if (lower === "localhost" || lower === "::1" || lower === "0:0:0:0:0:0:0:1") return true
  const v4 = lower.startsWith("::ffff:") ? lower.slice("::ffff:".length) : lower
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)
}
