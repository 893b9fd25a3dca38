/**
 * Request headers read case-insensitively from every shape HTTP libraries hand over: fetch `Headers`, Node's
 * `IncomingHttpHeaders`, `@effect/platform`'s `Headers`, or any record of names to values.
 *
 * @since 0.3.0
 */
import * as Result from "./Result.js"

/**
 * Request headers: fetch `Headers`, or a record of names to a value, a list of values (a header sent on several
 * lines, kept apart) or `undefined` (absent). Node's `IncomingHttpHeaders` and `@effect/platform`'s `Headers` are
 * such records. Names may be in any case.
 *
 * @since 0.3.0
 * @category models
 */
export type HeadersInput =
  | globalThis.Headers
  | { readonly [name: string]: string | ReadonlyArray<string> | undefined }

const FetchHeaders: typeof globalThis.Headers | undefined = globalThis.Headers

/**
 * The value of header `name`, which must be given in lower case, or `undefined` when it is absent. A list of values
 * (a repeated header) is joined with a space, which keeps every entry of a repeated `webhook-signature`; an empty
 * list is absent. Fetch `Headers` join a repeated header with `", "` themselves.
 *
 * @example
 * ```ts
 * import { Headers } from "openai-webhooks-engine"
 *
 * Headers.get({ "Webhook-Id": "msg_1" }, "webhook-id") // "msg_1"
 * Headers.get({ "webhook-signature": ["v1,a", "v1,b"] }, "webhook-signature") // "v1,a v1,b"
 * ```
 *
 * @since 0.3.0
 * @category getters
 */
export const get = (headers: HeadersInput, name: string): string | undefined => {
  if (FetchHeaders !== undefined && headers instanceof FetchHeaders) return headers.get(name) ?? undefined
  const record = headers as { readonly [name: string]: string | ReadonlyArray<string> | undefined }
  // Node and @effect/platform give lower-case keys: try that first, then any case.
  let value = record[name]
  if (value === undefined) {
    for (const key in record) {
      if (key.length === name.length && record[key] !== undefined && key.toLowerCase() === name) {
        value = record[key]
        break
      }
    }
  }
  if (value === undefined || typeof value === "string") return value
  return value.length === 0 ? undefined : value.join(" ")
}

/**
 * Why {@link parse} could not read a text as headers: `message` says what it found, for a person.
 *
 * @since 0.4.0
 * @category models
 */
export interface ParseProblem {
  readonly reason: "InvalidHeaders"
  readonly message: string
}

type Parsed = Record<string, string | ReadonlyArray<string>>

const invalid = (message: string) => Result.fail<ParseProblem>({ reason: "InvalidHeaders", message })

/** A name and value added as HTTP joins repeated header lines: with ", " (RFC 9110, section 5.3). */
const add = (out: Record<string, string>, name: string, value: string) => {
  const key = name.trim().toLowerCase()
  out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`
}

/** HAR's `[{ name, value }]`, or a record of names to a value or a list of values. */
const fromJson = (json: unknown): Result.Result<Parsed, ParseProblem> => {
  if (Array.isArray(json)) {
    const out: Record<string, string> = {}
    for (const entry of json) {
      if (typeof entry !== "object" || entry === null || typeof entry.name !== "string") {
        return invalid("the headers look like a JSON list but not of { name, value } objects (HAR's form)")
      }
      add(out, entry.name, String(entry.value ?? ""))
    }
    return Result.ok(out)
  }
  if (typeof json !== "object" || json === null) {
    return invalid("the headers look like JSON but are not an object of headers")
  }
  const record = json as { readonly [key: string]: unknown }
  // A request as browsers copy it ("Copy as fetch", a HAR entry): its headers are one field of it.
  const inner = Object.keys(record).find((key) => key.toLowerCase() === "headers")
  if (inner !== undefined && typeof record[inner] === "object" && record[inner] !== null) return fromJson(record[inner])
  const out: Parsed = {}
  for (const [name, value] of Object.entries(record)) {
    out[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value)
  }
  return Result.ok(out)
}

/** The `-H 'Name: value'` and `--header "Name: value"` arguments of a curl command, quoted as shells quote. */
const CURL_HEADER = /(?:^|\s)(?:-H|--header)(?:\s+|=)(?:'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+))/g

const fromCurl = (text: string): Result.Result<Parsed, ParseProblem> => {
  const out: Record<string, string> = {}
  for (const match of text.matchAll(CURL_HEADER)) {
    const line = match[1] ?? match[2]?.replace(/\\(.)/g, "$1") ?? match[3] ?? ""
    const colon = line.indexOf(":")
    if (colon <= 0) {
      return invalid(`the curl command has a header that is not "Name: value": ${JSON.stringify(line.slice(0, 60))}`)
    }
    add(out, line.slice(0, colon), line.slice(colon + 1).trim())
  }
  return Result.ok(out)
}

/**
 * Headers pasted as text, in each form people copy them: `Name: value` lines as a request log or a raw request
 * shows them (a request line and HTTP/2 pseudo-headers such as `:method` are skipped; a repeated name is joined
 * with `", "`), a curl command or its `-H 'Name: value'` lines (`--header` too, in single or double quotes), a JSON
 * object of names to values (a list value stays a list, which {@link get} joins), a request copied by a browser's
 * developer tools (JSON with a `headers` field, "Copy as fetch"'s `fetch(url, {...})`, HAR's `[{ name, value }]`).
 * Names are lower-cased. What `openai-webhooks verify` reads from `--headers`; fails with `InvalidHeaders` on text
 * that is none of these.
 *
 * @example
 * ```ts
 * import { Headers } from "openai-webhooks-engine"
 *
 * Headers.parse("curl https://example.com -H 'webhook-id: msg_1' -H 'webhook-timestamp: 1'")
 * // { ok: true, value: { "webhook-id": "msg_1", "webhook-timestamp": "1" } }
 * ```
 *
 * @since 0.4.0
 * @category parsing
 */
export const parse = (text: string): Result.Result<Parsed, ParseProblem> => {
  const trimmed = text.trim()
  // "Copy as fetch": fetch("url", { "headers": {...}, ... }); the options are JSON as the browsers write them.
  const fetchCall = /^(?:await\s+)?fetch\s*\(/.test(trimmed)
    ? trimmed.slice(trimmed.indexOf("{"), trimmed.lastIndexOf("}") + 1)
    : undefined
  const json = fetchCall ?? (trimmed.startsWith("{") || trimmed.startsWith("[") ? trimmed : undefined)
  if (json !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(json)
    } catch (error) {
      return invalid(`the headers look like JSON but do not parse: ${(error as Error).message}`)
    }
    return fromJson(parsed)
  }
  if (/^curl\s/.test(trimmed) || /^(?:-H|--header)[\s=]/.test(trimmed)) return fromCurl(trimmed)
  const out: Record<string, string> = {}
  for (const raw of trimmed.split(/\r?\n/)) {
    const line = raw.trim()
    // As copied from a log or a browser: skip the request line and HTTP/2 pseudo-headers (:method, ...).
    if (line === "" || /^[A-Z]+ \S+ HTTP\/[\d.]+$/.test(line) || line.startsWith(":")) continue
    const colon = line.indexOf(":")
    if (colon <= 0) {
      return invalid(`the headers have a line that is not "Name: value": ${JSON.stringify(line.slice(0, 60))}`)
    }
    add(out, line.slice(0, colon), line.slice(colon + 1).trim())
  }
  return Result.ok(out)
}
