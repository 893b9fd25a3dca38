/**
 * The runtime's cryptography, found without a static `node:` import: an edge runtime (Cloudflare Workers without
 * `nodejs_compat`, Vercel Edge, Next.js edge routes) refuses to load a module that imports `node:crypto`, so the
 * engine asks for it through `process.getBuiltinModule` (Node >= 20.16 and 22.3, Bun, Deno, workerd with
 * `nodejs_compat`) and falls back to Web Crypto (`crypto.subtle`, asynchronous) where it is absent. Also the base64
 * and constant-time helpers that the Web Crypto path needs, since `Buffer` is a Node global too.
 *
 * @internal
 */
import type * as NodeCrypto from "node:crypto"

interface NodeBuiltins {
  readonly crypto: typeof NodeCrypto
  readonly Buffer: typeof Buffer
}

const builtins = (): NodeBuiltins | undefined => {
  try {
    const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const get = process?.getBuiltinModule
    if (typeof get !== "function") return undefined
    const crypto = get.call(process, "node:crypto") as typeof NodeCrypto | undefined
    const buffer = get.call(process, "node:buffer") as { Buffer: typeof Buffer } | undefined
    if (typeof crypto?.createHmac !== "function" || typeof buffer?.Buffer?.from !== "function") return undefined
    return { crypto, Buffer: buffer.Buffer }
  } catch {
    return undefined
  }
}

/** `node:crypto` and `node:buffer` when this runtime has them (the synchronous path), else `undefined`. */
export const node: NodeBuiltins | undefined = builtins()

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// Both alphabets (standard and URL-safe) to their 6-bit values; 255 for anything else.
const VALUES = (() => {
  const values = new Uint8Array(128).fill(255)
  for (let i = 0; i < 64; i++) values[ALPHABET.charCodeAt(i)] = i
  values[45] = 62 // "-"
  values[95] = 63 // "_"
  return values
})()

/**
 * Decodes base64 as `Buffer.from(text, "base64")` does, so that both paths reach the same verdict on the same header:
 * both alphabets, characters outside them skipped, decoding stops at the first `=`, a trailing partial byte dropped.
 */
export const decodeBase64 = (text: string): Uint8Array => {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4))
  let bits = 0
  let count = 0
  let length = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code === 61) break
    const value = code < 128 ? VALUES[code]! : 255
    if (value === 255) continue
    bits = ((bits << 6) | value) & 0xffffff
    count += 6
    if (count >= 8) {
      count -= 8
      out[length++] = (bits >> count) & 0xff
    }
  }
  return out.subarray(0, length)
}

/** Standard base64 with `=` padding, as `Buffer#toString("base64")` writes it. */
export const encodeBase64 = (bytes: Uint8Array): string => {
  let text = ""
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    text += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!
  }
  if (i + 1 === bytes.length) {
    const n = bytes[i]! << 16
    text += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + "=="
  } else if (i + 2 === bytes.length) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    text += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + "="
  }
  return text
}

/**
 * Whether two byte arrays of the same length are equal, in time that depends on the length only (every byte is
 * looked at, no early exit): what `timingSafeEqual` does, for runtimes without it.
 */
export const constantTimeEqual = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

const encoder = new TextEncoder()

/** The UTF-8 bytes of a string, or the bytes themselves. */
export const utf8 = (payload: string | Uint8Array): Uint8Array =>
  typeof payload === "string" ? encoder.encode(payload) : payload

/** Key bytes and their Web Crypto key (imported once, on first use), kept off the `Key` so that nothing prints them. */
interface WebKey {
  readonly bytes: Uint8Array<ArrayBuffer>
  imported: Promise<CryptoKey> | undefined
}

const webKeys = new WeakMap<object, WebKey>()

/** Records the bytes of a key for the Web Crypto path. */
export const remember = (key: object, bytes: Uint8Array): void => {
  webKeys.set(key, { bytes: new Uint8Array(bytes), imported: undefined })
}

/** HMAC-SHA256 with a key's bytes over `prefix` and the payload, by Web Crypto (`crypto.subtle`). */
export const hmacWeb = async (key: object, prefix: string, payload: string | Uint8Array): Promise<Uint8Array> => {
  const material = webKeys.get(key)
  if (material === undefined) throw new Error("openai-webhooks-engine: a Secret.Key not made by Secret.parse")
  material.imported ??= globalThis.crypto.subtle.importKey(
    "raw",
    material.bytes,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"]
  )
  const head = encoder.encode(prefix)
  const body = utf8(payload)
  const data = new Uint8Array(head.length + body.length)
  data.set(head)
  data.set(body, head.length)
  return new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", await material.imported, data))
}
