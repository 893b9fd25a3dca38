/**
 * Why a captured delivery does not verify, in plain words: what `openai-webhooks verify` prints.
 * Each check says what it found and, when it failed, the likely cause and the fix. Never the secret.
 *
 * @internal
 */
import * as Either from "effect/Either"
import { type Key, parseSecret, sign } from "./signature.js"

export interface Check {
  readonly ok: boolean
  readonly message: string
  readonly hint?: string | undefined
}

export interface Report {
  readonly verified: boolean
  readonly checks: ReadonlyArray<Check>
}

/** Headers as copied from a request log: a JSON object, or `Name: value` lines. */
export const parseHeaders = (text: string): Either.Either<Record<string, string>, string> => {
  const trimmed = text.trim()
  if (trimmed.startsWith("{")) {
    try {
      const parsed = JSON.parse(trimmed) as Record<string, unknown>
      const out: Record<string, string> = {}
      for (const [name, value] of Object.entries(parsed)) {
        out[name.toLowerCase()] = Array.isArray(value) ? value.join(" ") : String(value)
      }
      return Either.right(out)
    } catch (error) {
      return Either.left(`the headers file looks like JSON but does not parse: ${(error as Error).message}`)
    }
  }
  const out: Record<string, string> = {}
  for (const line of trimmed.split(/\r?\n/)) {
    // As copied from a log or a browser: skip the request line and HTTP/2 pseudo-headers (:method, ...).
    if (line.trim() === "" || /^[A-Z]+ \S+ HTTP\/[\d.]+$/.test(line.trim()) || line.startsWith(":")) continue
    const colon = line.indexOf(":")
    if (colon <= 0) return Either.left(`the headers file has a line that is not "Name: value": ${JSON.stringify(line.slice(0, 60))}`)
    out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return Either.right(out)
}

const OPENAI_KEY_ORDER = ["id", "object", "created_at", "type", "data"]

const signatures = (header: string): ReadonlyArray<string> =>
  header.split(/\s+/).filter((entry) => entry.startsWith("v1,"))

const matches = (key: Key, id: string, timestamp: string, body: string | Uint8Array, header: string) => {
  const expected = sign(key, id, timestamp, body)
  return signatures(header).includes(expected)
}

/**
 * Diagnoses one delivery. `now` in Unix seconds; `tolerance` in seconds.
 */
export const diagnose = (options: {
  readonly body: Uint8Array
  readonly headers: Record<string, string>
  readonly secret: string | undefined
  readonly now: number
  readonly tolerance: number
}): Report => {
  const checks: Array<Check> = []
  const fail = (message: string, hint?: string): Report => {
    checks.push({ ok: false, message, hint })
    return { verified: false, checks }
  }
  const { body, headers } = options

  const id = headers["webhook-id"]
  const timestamp = headers["webhook-timestamp"]
  const header = headers["webhook-signature"]
  const missing = [["webhook-id", id], ["webhook-timestamp", timestamp], ["webhook-signature", header]]
    .filter(([, value]) => value === undefined)
    .map(([name]) => name)
  if (missing.length > 0) {
    return fail(
      `missing header${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}`,
      "copy every header of the request; OpenAI sends webhook-id, webhook-timestamp and webhook-signature"
    )
  }
  checks.push({ ok: true, message: `headers: webhook-id ${id}, webhook-timestamp ${timestamp}` })

  const entries = signatures(header!)
  if (entries.length === 0) {
    return fail("webhook-signature has no v1 signature", "its value should look like v1,<base64>")
  }

  if (!/^[0-9]{1,15}$/.test(timestamp!)) {
    return fail(`webhook-timestamp ${JSON.stringify(timestamp)} is not a whole number of seconds`)
  }
  const skew = options.now - Number(timestamp)
  const skewOk = Math.abs(skew) <= options.tolerance
  checks.push(
    skewOk
      ? { ok: true, message: `timestamp: ${Math.abs(skew)} s ${skew >= 0 ? "old" : "in the future"}, within ${options.tolerance} s` }
      : {
        ok: false,
        message: skew > 0
          ? `timestamp: ${skew} s old, more than the ${options.tolerance} s tolerance`
          : `timestamp: ${-skew} s in the future, more than the ${options.tolerance} s tolerance`,
        hint: skew > 0
          ? "a replay, a delivery captured a while ago (expected when you verify a logged request later), " +
            "or this machine's clock is ahead; a live receiver rejects it"
          : "this machine's clock is behind: check NTP"
      }
  )

  const raw = options.secret
  if (raw === undefined || raw === "") {
    return fail("no secret given", "pass --secret whsec_... or set OPENAI_WEBHOOK_SECRET")
  }
  let secret = raw
  if (secret.trim() !== secret) {
    checks.push({
      ok: false,
      message: "the secret has whitespace around it",
      hint: "remove the spaces or line breaks: a copy-paste slip (checked below without them)"
    })
    secret = secret.trim()
  }
  if (secret.startsWith("v1,")) {
    return fail(
      'the secret starts with "v1,": that is a signature, not a secret',
      "use the endpoint's signing secret from OpenAI's dashboard: it starts with whsec_"
    )
  }
  const foreign = !secret.startsWith("whsec_")
  const key = parseSecret(secret, "the secret")
  if (Either.isLeft(key)) return fail(key.left.message)

  if (matches(key.right, id!, timestamp!, body, header!)) {
    if (foreign) {
      // The library accepts such a secret (as its UTF-8 bytes, like OpenAI's SDKs): a note, not a failure.
      checks.push({ ok: true, message: 'secret: not in OpenAI\'s whsec_ format, used as its UTF-8 bytes, as OpenAI\'s SDKs do' })
    }
    checks.push({ ok: true, message: `signature: matches (${entries.length} v1 signature${entries.length > 1 ? "s" : ""} checked)` })
    return { verified: skewOk && checks.every((check) => check.ok), checks }
  }
  if (foreign) {
    checks.push({
      ok: false,
      message: 'the secret does not start with "whsec_": it is not in OpenAI\'s format',
      hint: "OpenAI's webhook secrets start with whsec_; an API key (sk-...) is not the webhook secret"
    })
  }

  // The signature does not match: find the likely cause.
  const text = new TextDecoder().decode(body)
  if (text.endsWith("\n") && matches(key.right, id!, timestamp!, text.replace(/\r?\n$/, ""), header!)) {
    return fail(
      "signature: does not match the body file as it is, but matches it without its final line break",
      "the file gained a newline when it was saved; the receiver sees the exact bytes, so this is not a problem there"
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  if (json !== undefined && typeof json === "object" && json !== null) {
    const compact = JSON.stringify(json)
    const pretty = text !== compact && /\n\s+"/.test(text)
    const keys = Array.isArray(json) ? [] : Object.keys(json)
    const known = keys.filter((k) => OPENAI_KEY_ORDER.includes(k))
    const expectedOrder = OPENAI_KEY_ORDER.filter((k) => known.includes(k))
    const reordered = known.join(",") !== expectedOrder.join(",")
    if (pretty || reordered) {
      return fail(
        `signature: does not match; the body is valid JSON but looks re-serialised (${
          [pretty ? "pretty-printed" : undefined, reordered ? `keys in the order ${known.join(", ")}` : undefined]
            .filter(Boolean)
            .join(", ")
        })`,
        "verify the raw request body, byte for byte, before any JSON parsing: a framework's body parser " +
          "(express.json()) or a logger that re-formats JSON changes the bytes the signature covers"
      )
    }
  }
  return fail(
    "signature: none of the v1 signatures matches this body with this secret",
    "the delivery was signed with a different secret (another endpoint's, or one rotated since), " +
      "or the body is not the one that was sent"
  )
}
