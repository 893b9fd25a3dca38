/**
 * Secrets every edition must read alike: the ones refused (with the reason and, where the row gives it, the message),
 * the ones accepted (with the key they must give), and configured values holding a rotation list
 * (`OPENAI_WEBHOOK_SECRET`). The engine runs them through `Secret.parse`, `Secret.parseAll` and `Secret.parseList`;
 * each edition through its secret service and its `key`. No message may show any part of the secret.
 */
import type { Reason } from "../../src/Secret.js"
import { kat, rust, sdk } from "./vectors.js"

/** `whsec_` and the base64 of `bytes` bytes (each 7). */
export const whsec = (bytes: number): string => `whsec_${Buffer.alloc(bytes, 7).toString("base64")}`

const unpadded = (secret: string) => secret.replace(/=+$/, "")

/**
 * Everything printing must never show of a secret: itself, its base64 body, its key bytes in base64 and hex (strings
 * shorter than 8 characters left out: too short to mean anything in a message). What every edition's tests hold its
 * errors and services to.
 */
export const revealingSecret = (secret: string): ReadonlyArray<string> => {
  const trimmed = secret.trim()
  const body = trimmed.startsWith("whsec_") ? trimmed.slice("whsec_".length) : undefined
  const key = body === undefined ? Buffer.from(trimmed, "utf8") : Buffer.from(body, "base64")
  return [secret, trimmed, body ?? "", key.toString("base64"), key.toString("hex")].filter((s) => s.length >= 8)
}

/** A secret refused: one string, or a list given one secret per item. */
export interface Rejected {
  readonly name: string
  readonly input: string | ReadonlyArray<string>
  readonly reason: Reason
  /** The whole message (a string) or what it must match; unchecked when absent. */
  readonly message?: string | RegExp
}

const BAD_BASE64 = "The webhook secret starts with \"whsec_\" but the rest is not valid base64: "
const WHITESPACE = "The webhook secret has whitespace around it (a copy-paste slip?): " +
  "remove the spaces or line breaks before or after it"
const EMPTY = "The webhook secret is empty: set it to the signing secret shown when you created the endpoint"
const LOOKS_LIKE_SIGNATURE = "The webhook secret starts with \"v1,\", so it looks like a webhook-signature value, " +
  "not a secret: use the endpoint's signing secret (it starts with \"whsec_\")"
const tooShort = (bytes: number) =>
  `The webhook secret gives a ${bytes}-byte key; at least 16 bytes are required ` +
  `(OpenAI's secrets are "whsec_" followed by 32 bytes in base64): was it cut short?`

/** Every refused secret. A row of one string is refused alike as a configured value ({@link lists}) holding it. */
export const rejected: ReadonlyArray<Rejected> = [
  { name: "an empty string", input: "", reason: "Missing", message: EMPTY },
  { name: "an empty list", input: [], reason: "Missing", message: "No webhook secret was given: pass at least one" },
  { name: "a line break alone", input: "\n", reason: "Missing", message: EMPTY },
  { name: "a CRLF alone", input: "\r\n", reason: "Missing", message: EMPTY },
  { name: "a secret with a leading space", input: ` ${sdk.secret}`, reason: "Whitespace", message: WHITESPACE },
  { name: "a secret with a trailing space", input: `${sdk.secret} `, reason: "Whitespace", message: WHITESPACE },
  { name: "a secret with a trailing tab", input: `${sdk.secret}\t`, reason: "Whitespace" },
  { name: "a secret with two trailing line breaks", input: `${sdk.secret}\n\n`, reason: "Whitespace" },
  { name: "a secret with a space before its final line break", input: `${sdk.secret} \n`, reason: "Whitespace" },
  { name: "a secret with a final carriage return alone", input: `${sdk.secret}\r`, reason: "Whitespace" },
  { name: "a secret with a leading line break", input: `\n${sdk.secret}`, reason: "Whitespace" },
  { name: "whsec_!!!", input: "whsec_!!!", reason: "InvalidBase64" },
  {
    name: "a secret with a character outside base64",
    input: `${sdk.secret.slice(0, 10)}!${sdk.secret.slice(11)}`,
    reason: "InvalidBase64",
    message: `${BAD_BASE64}it has characters outside A-Z, a-z, 0-9, "+" and "/" (and "=" padding at the end): ` +
      "was it edited?"
  },
  {
    name: "a secret in base64url",
    input: `whsec_${Buffer.alloc(32, 0xfb).toString("base64url")}`,
    reason: "InvalidBase64",
    message: /characters outside A-Z, a-z, 0-9/
  },
  {
    name: "a secret cut short to a length of 1 mod 4",
    input: sdk.secret.slice(0, -3),
    reason: "InvalidBase64",
    message: `${BAD_BASE64}its length is one that no base64 encoding has: was it cut short?`
  },
  {
    name: "a secret cut short leaving bits after its last byte",
    input: sdk.secret.slice(0, -2),
    reason: "InvalidBase64",
    message: `${BAD_BASE64}its last character has bits set that no encoder leaves: was it cut short?`
  },
  {
    name: "a secret with padding that does not fit its length",
    input: `${sdk.secret}=`,
    reason: "InvalidBase64",
    message: `${BAD_BASE64}its "=" padding does not fit its length: was it edited?`
  },
  {
    name: "a secret with padding in the middle",
    input: `whsec_${"A".repeat(20)}=${"A".repeat(23)}`,
    reason: "InvalidBase64"
  },
  { name: "an 8-byte whsec_ secret", input: whsec(8), reason: "TooShort", message: tooShort(8) },
  { name: "a 15-byte whsec_ secret", input: whsec(15), reason: "TooShort", message: tooShort(15) },
  { name: "a 15-byte whsec_ secret without its padding", input: unpadded(whsec(15)), reason: "TooShort" },
  { name: "whsec_ alone", input: "whsec_", reason: "TooShort", message: tooShort(0) },
  { name: "whsec_abc (2 bytes, unpadded)", input: "whsec_abc", reason: "TooShort", message: tooShort(2) },
  { name: "a 15-byte plain secret", input: "0123456789abcde", reason: "TooShort", message: tooShort(15) },
  { name: "a webhook signature", input: kat.signature, reason: "LooksLikeSignature", message: LOOKS_LIKE_SIGNATURE },
  { name: "a webhook signature with a final line break", input: `${kat.signature}\n`, reason: "LooksLikeSignature" },
  { name: "a v1, string", input: "v1,abcdefghijklmnopqrstuvwxyz0123456789", reason: "LooksLikeSignature" },
  {
    name: "a bad second secret",
    input: [sdk.secret, "whsec_ab!c"],
    reason: "InvalidBase64",
    message: /^Webhook secret 2 of 2 starts with "whsec_" but the rest is not valid base64: /
  },
  {
    name: "a bad third secret of three",
    input: [sdk.secret, kat.secret, "whsec_ab!c"],
    reason: "InvalidBase64",
    message: /^Webhook secret 3 of 3 /
  },
  {
    name: "a bad first secret beside a good one",
    input: [` ${kat.secret}`, sdk.secret],
    reason: "Whitespace",
    message: "Webhook secret 1 of 2 has whitespace around it (a copy-paste slip?): " +
      "remove the spaces or line breaks before or after it"
  }
]

/** A secret accepted: one string, or a list, and the number of keys it gives. */
export interface Accepted {
  readonly name: string
  readonly input: string | ReadonlyArray<string>
  readonly keys: number
  /** For one secret: another spelling of the same key (both sign alike). */
  readonly sameAs?: string
}

/** Every accepted secret. A row of one string reads the same as a configured value ({@link lists}) holding it. */
export const accepted: ReadonlyArray<Accepted> = [
  { name: "a secret with a final line break (what echo and env files add)", input: `${sdk.secret}\n`, keys: 1,
    sameAs: sdk.secret },
  { name: "a secret with a final CRLF", input: `${sdk.secret}\r\n`, keys: 1, sameAs: sdk.secret },
  { name: "a secret without its = padding", input: unpadded(sdk.secret), keys: 1, sameAs: sdk.secret },
  { name: "a secret without its padding and with a final line break", input: `${unpadded(sdk.secret)}\n`, keys: 1,
    sameAs: sdk.secret },
  { name: "a 16-byte secret without its == padding", input: unpadded(whsec(16)), keys: 1, sameAs: whsec(16) },
  { name: "a whsec_ secret of exactly 16 bytes", input: whsec(16), keys: 1 },
  { name: "a plain secret of exactly 16 bytes", input: "0123456789abcdef", keys: 1 },
  { name: "a plain secret with non-ASCII characters", input: "plain-secret-héllo-☃-日本", keys: 1 },
  { name: "three secrets, one per item", input: [sdk.secret, kat.secret, rust.secret], keys: 3 }
]

/**
 * A configured value (`OPENAI_WEBHOOK_SECRET`): one secret or several separated by spaces or commas, and what it
 * gives: the keys of these secrets (each a vector's, so that the row can be checked by verifying), or a refusal.
 */
export interface List {
  readonly name: string
  readonly value: string
  readonly expected:
    | { readonly ok: true; readonly secrets: ReadonlyArray<string> }
    | { readonly ok: false; readonly reason: Reason; readonly message?: string | RegExp }
}

/** Every configured value. */
export const lists: ReadonlyArray<List> = [
  ...[" ", ",", ", ", " , ", "\n", "\t", ",,", "  "].map((separator): List => ({
    name: `two secrets separated by ${JSON.stringify(separator)}`,
    value: `${sdk.secret}${separator}${kat.secret}`,
    expected: { ok: true, secrets: [sdk.secret, kat.secret] }
  })),
  { name: "one secret", value: rust.secret, expected: { ok: true, secrets: [rust.secret] } },
  {
    name: "one secret and a final line break",
    value: `${sdk.secret}\n`,
    expected: { ok: true, secrets: [sdk.secret] }
  },
  {
    name: "two secrets and a final CRLF",
    value: `${sdk.secret} ${kat.secret}\r\n`,
    expected: { ok: true, secrets: [sdk.secret, kat.secret] }
  },
  ...[",", ",,", ", ,"].map((value): List => ({
    name: `separators only (${JSON.stringify(value)})`,
    value,
    expected: { ok: false, reason: "Missing", message: "No webhook secret was given: pass at least one" }
  })),
  { name: "an empty value", value: "", expected: { ok: false, reason: "Missing", message: EMPTY } },
  { name: "a pasted signature", value: kat.signature, expected: { ok: false, reason: "LooksLikeSignature" } },
  {
    name: "a pasted signature after a good secret",
    value: `${sdk.secret} ${kat.signature}`,
    expected: { ok: false, reason: "LooksLikeSignature", message: /^Webhook secret 2 of 2 starts with "v1,"/ }
  },
  {
    name: "a pasted signature after a good secret and a comma (the comma after v1 does not split it)",
    value: `${sdk.secret},${kat.signature}`,
    expected: { ok: false, reason: "LooksLikeSignature" }
  },
  ...[` ${sdk.secret}`, `${sdk.secret} `, `${sdk.secret} ${kat.secret}\t`, `\n${sdk.secret}`].map((value): List => ({
    name: `whitespace around the value: ${JSON.stringify(value.replace(/whsec_[A-Za-z0-9+/=]+/g, "whsec_..."))}`,
    value,
    expected: { ok: false, reason: "Whitespace", message: WHITESPACE }
  })),
  {
    name: "a bad second secret",
    value: `${sdk.secret},whsec_ab!c`,
    expected: { ok: false, reason: "InvalidBase64", message: /^Webhook secret 2 of 2 / }
  },
  {
    name: "a short second secret",
    value: `${sdk.secret} ${whsec(8)}`,
    expected: { ok: false, reason: "TooShort", message: /^Webhook secret 2 of 2 gives a 8-byte key/ }
  }
]
