/**
 * Why a captured delivery does not verify, in plain words: what `openai-webhooks verify` prints.
 *
 * The verdict is the library's, by construction: {@link diagnose} calls `signature.verifyRequest` with the
 * keys the receiver would build from the same secret, the same tolerance and the current time. The checks
 * only explain that verdict, and say what is proven rather than what a shape suggests: a re-serialised
 * body is named only when a re-serialisation a framework or a log really makes verifies. Nothing here shows
 * a secret, a received signature or an expected MAC.
 */
import * as Result from "effect/Result"
import { Headers as headers, Secret, Signature } from "openai-webhooks-engine"
import { WebhookError } from "effect4-openai-webhooks"

/** One line of the report: what was found and, for a failure, what to do about it. */
export interface Check {
  readonly ok: boolean
  readonly message: string
  readonly hint?: string | undefined
}

/** The verdict (the library's) and the checks that explain it, in the order they are printed. */
export interface Report {
  readonly verified: boolean
  readonly checks: ReadonlyArray<Check>
}

/**
 * The secret as given: `--secret` holds one secret (as `WebhookSecret.layer` takes it); the environment
 * variable holds a list, read exactly as `WebhookSecret.layerConfig` reads `OPENAI_WEBHOOK_SECRET`.
 */
export interface SecretSource {
  readonly from: "flag" | "env"
  readonly value: string
}

/** The keys the receiver would build from this secret, or the `SecretError` it would fail to start with. */
export const keysOf = (source: SecretSource): Result.Result<ReadonlyArray<Secret.Key>, WebhookError.SecretError> => {
  const keys = source.from === "flag" ? Secret.parseAll([source.value]) : Secret.parseList(source.value)
  return keys.ok ? Result.succeed(keys.value) : Result.fail(new WebhookError.SecretError(keys.error))
}

const REQUIRED = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const

const RAW_BODY_HINT = "verify the raw request body, byte for byte, before any JSON parsing: a framework's body " +
  "parser (express.json()) or a logger that re-formats JSON changes the bytes the signature covers"

/** A body as a framework or a log may have changed it, and how to say so. */
interface Reconstruction {
  readonly body: string
  readonly how: string
  readonly reserialised: boolean
}

/**
 * The re-serialisations that really happen between a sender and a saved body: JSON parsed and written
 * again compact or pretty (2 and 4 spaces, what `JSON.stringify` and loggers make), a final line break
 * added or lost (editors, `echo`), LF and CRLF line ends swapped (Windows tools, git). Each is tried as
 * the signed body; key order is never guessed.
 */
const reconstructions = (body: Uint8Array): ReadonlyArray<Reconstruction> => {
  let text: string
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body)
  } catch {
    return []
  }
  const bases: Array<{ readonly text: string; readonly how: string | undefined }> = [{ text, how: undefined }]
  try {
    const parsed: unknown = JSON.parse(text)
    bases.push(
      { text: JSON.stringify(parsed), how: "re-serialised compactly (JSON.stringify(body))" },
      { text: JSON.stringify(parsed, null, 2), how: "pretty-printed with 2 spaces (JSON.stringify(body, null, 2))" },
      { text: JSON.stringify(parsed, null, 4), how: "pretty-printed with 4 spaces (JSON.stringify(body, null, 4))" }
    )
  } catch {
    // Not JSON (or nested beyond what JSON.stringify can write): only the line-end changes apply.
  }
  const seen = new Set([text])
  const out: Array<Reconstruction> = []
  for (const base of bases) {
    const lineEnds: ReadonlyArray<readonly [string, string | undefined]> = [
      [base.text, undefined],
      [`${base.text}\n`, "with a final line break added"],
      [base.text.replace(/\r?\n$/, ""), "without its final line break"],
      [base.text.replaceAll("\r\n", "\n"), "with its CRLF line ends turned to LF"],
      [base.text.replace(/\r?\n/g, "\r\n"), "with its LF line ends turned to CRLF"]
    ]
    for (const [candidate, lineEnd] of lineEnds) {
      if (seen.has(candidate)) continue
      seen.add(candidate)
      out.push({
        body: candidate,
        how: [base.how, lineEnd].filter((part) => part !== undefined).join(", "),
        reserialised: base.how !== undefined
      })
    }
  }
  return out
}


/**
 * Verifies one captured delivery as the receiver would, and explains a failed verdict: header problems,
 * timestamp skew (seconds, which way), secret format problems (the `SecretError`'s own reason and message),
 * then the signature: a matching entry beyond the {@link Signature.maxSignatures} checked, a
 * re-serialisation that verifies, or else the remaining causes, the secret first. `now` is in Unix
 * seconds, `tolerance` in seconds.
 */
export const diagnose = (options: {
  readonly body: Uint8Array
  readonly headers: headers.HeadersInput
  readonly secret: SecretSource
  readonly now: number
  readonly tolerance: number
}): Report => {
  const { body, now, tolerance } = options
  const keys = keysOf(options.secret)
  // The verdict: what the receiver would answer (a secret it cannot decode means it would not even start).
  const verified = Result.isSuccess(keys) &&
    Signature.verifyRequest(keys.success, options.headers, body, now, tolerance).ok
  const checks: Array<Check> = []
  const done = (): Report => ({ verified, checks })
  const fail = (message: string, hint?: string): Report => {
    checks.push({ ok: false, message, hint })
    return done()
  }

  const [id, timestamp, header] = REQUIRED.map((name) => headers.get(options.headers, name))
  const absent = REQUIRED.filter((name) => headers.get(options.headers, name) === undefined)
  const empty = REQUIRED.filter((name) => {
    const value = headers.get(options.headers, name)
    return value !== undefined && Signature.isBlank(value)
  })
  if (absent.length > 0 || empty.length > 0) {
    return fail(
      [
        absent.length > 0 ? `missing header${absent.length > 1 ? "s" : ""}: ${absent.join(", ")}` : undefined,
        empty.length > 0 ? `empty header${empty.length > 1 ? "s" : ""}: ${empty.join(", ")}` : undefined
      ].filter((part) => part !== undefined).join("; "),
      "copy every header of the request; OpenAI sends webhook-id, webhook-timestamp and webhook-signature " +
        "(an empty one counts as missing)"
    )
  }
  checks.push({ ok: true, message: `headers: webhook-id ${id}, webhook-timestamp ${timestamp}` })

  if (!Signature.isTimestamp(timestamp!)) {
    return fail(`webhook-timestamp ${JSON.stringify(timestamp!.slice(0, 32))} is not a whole number of seconds`)
  }
  const skew = now - Number(timestamp)
  if (Math.abs(skew) <= tolerance) {
    checks.push({
      ok: true,
      message: `timestamp: ${Math.abs(skew)} s ${skew >= 0 ? "old" : "in the future"}, within ${tolerance} s`
    })
  } else {
    checks.push({
      ok: false,
      message: skew > 0
        ? `timestamp: ${skew} s old, more than the ${tolerance} s tolerance`
        : `timestamp: ${-skew} s in the future, more than the ${tolerance} s tolerance`,
      hint: skew > 0
        ? "a replay, a delivery captured a while ago (expected when you verify a logged request later), " +
          "or this machine's clock is ahead; a live receiver rejects it"
        : "this machine's clock is behind: check NTP"
    })
  }

  if (Result.isFailure(keys)) {
    return fail(`secret (${keys.failure.reason}): ${keys.failure.message}`)
  }
  const given = options.secret.from === "flag" ? [options.secret.value] : Secret.split(options.secret.value)
  const nonStandard = given.some((value) => !value.startsWith("whsec_"))
  const secretNote = given.length === 1 ? "this secret" : `any of the ${given.length} secrets`

  // Whether the signature matches does not depend on the clock: checked even when the timestamp failed.
  const match = Signature.matchingEntry(keys.success, id!, timestamp!, header!, body)
  if (match.index >= 0 && match.index < Signature.maxSignatures) {
    if (nonStandard) {
      // The library accepts such a secret (as its UTF-8 bytes, like OpenAI's SDKs): a note, not a failure.
      checks.push({
        ok: true,
        message: "secret: not in OpenAI's whsec_ format, used as its UTF-8 bytes, as OpenAI's SDKs do"
      })
    }
    // With several secrets (a rotation), say which one signed: the first whose own match is this entry.
    const signer = keys.success.findIndex((key) =>
      Signature.matchingEntry([key], id!, timestamp!, header!, body).index === match.index
    )
    const which = keys.success.length === 1 ? "" : `, secret ${signer + 1} of ${keys.success.length}`
    checks.push({ ok: true, message: `signature: matches (v1 entry ${match.index + 1} of ${match.entries}${which})` })
    return done()
  }
  if (match.entries === 0) {
    return fail(
      "webhook-signature has no v1 entry",
      "its value should look like v1,<base64>, several separated by spaces"
    )
  }
  if (match.index >= 0) {
    return fail(
      `signature: v1 entry ${match.index + 1} of ${match.entries} matches, but only the first ` +
        `${Signature.maxSignatures} are checked, so the receiver rejects this delivery`,
      `the receiver checks at most ${Signature.maxSignatures} entries, bounding the work a forged header can cause: ` +
        "whatever builds this webhook-signature puts more entries in it than a rotation needs"
    )
  }
  // Each reconstruction is verified by the library's rules at the delivery's own time.
  const at = Number(timestamp)
  for (const candidate of reconstructions(body)) {
    if (Signature.verify(keys.success, id, timestamp, header, candidate.body, at, tolerance).ok) {
      return candidate.reserialised
        ? fail(
          `signature: does not match the body file as it is, but matches the same JSON ${candidate.how}`,
          `the body was re-serialised after it was signed; ${RAW_BODY_HINT}`
        )
        : fail(
          `signature: does not match the body file as it is, but matches it ${candidate.how}`,
          "the file's line breaks are not the ones that were signed (an editor or echo adds a final newline, " +
            "git or a Windows tool converts line ends): if the receiver got the body as sent, it verifies there; " +
            `if it got these bytes, something on the way changed them: ${RAW_BODY_HINT}`
        )
    }
  }
  if (nonStandard) {
    checks.push({
      ok: false,
      message: "the secret does not start with \"whsec_\": it is not in OpenAI's format",
      hint: "OpenAI's webhook secrets start with whsec_; an API key (sk-...) is not the webhook secret"
    })
  }
  const none = match.entries === 1 ? "the v1 entry does not match" : `none of the ${match.entries} v1 entries matches`
  return fail(
    `signature: ${none} this body with ${secretNote}`,
    "the delivery was signed with a different secret (another endpoint's, or one rotated since: during a rotation " +
      "set OPENAI_WEBHOOK_SECRET to both), or the body is not the one that was sent (changed on the way or when " +
      "saved in a way not reconstructed here; tried: compact and 2- and 4-space JSON, a final line break added " +
      "or removed, LF and CRLF line ends)"
  )
}
