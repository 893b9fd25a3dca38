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

/** HMAC-SHA256 with one key over `prefix` then `payload`. */
type Mac = (prefix: string, payload: string | Uint8Array) => Buffer

/** SHA-256's block, in bytes: the length of HMAC's padded key (RFC 2104). */
const BLOCK = 64

/**
 * The largest message (prefix and payload, in bytes) hashed in the shared buffer below; a larger one goes through
 * `createHmac`, where the hashing, not the setting up, is what costs.
 */
const SCRATCH = 16 * 1024

/**
 * HMAC-SHA256 with one key, by `node:crypto`: `mac(prefix, payload)` is the MAC over `prefix` then the payload.
 *
 * RFC 2104: HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)). Both padded keys are made here, once per key, and a
 * message then costs two one-shot `crypto.hash` calls over buffers reused from one message to the next. Measured on
 * Node 24 (a webhook of 150 bytes), `createHmac` with a `KeyObject` cost 2.2-2.3 µs a message, this 1.9-2.0, and it
 * leaves no HMAC object (a native handle and a stream) per delivery for the collector. Where `crypto.hash` is
 * missing (Node before 20.12, other runtimes' `node:crypto`), and for large messages, `createHmac` does it.
 */
const makeMac = (builtins: NodeBuiltins, bytes: Uint8Array, keyObject: NodeCrypto.KeyObject): Mac => {
  const { Buffer, crypto } = builtins
  const viaHmac: Mac = (prefix, payload) => {
    const hmac = crypto.createHmac("sha256", keyObject).update(prefix)
    return (typeof payload === "string" ? hmac.update(payload, "utf8") : hmac.update(payload)).digest()
  }
  const hash = crypto.hash
  if (typeof hash !== "function") return viaHmac
  // A key longer than the block is replaced by its hash (RFC 2104, 2).
  const key = bytes.length > BLOCK ? hash("sha256", bytes, "buffer") : bytes
  // The inner message: K ^ ipad, then the message itself, written after it.
  const inner = Buffer.alloc(BLOCK + SCRATCH, 0x36)
  // The outer message: K ^ opad, then the inner hash (32 bytes).
  const outer = Buffer.alloc(BLOCK + 32, 0x5c)
  for (let i = 0; i < key.length; i++) {
    inner[i]! ^= key[i]!
    outer[i]! ^= key[i]!
  }
  return (prefix, payload) => {
    // At most 3 UTF-8 bytes per UTF-16 unit: a message that surely fits is written without measuring it first.
    const room = typeof payload === "string" ? 3 * (prefix.length + payload.length) : 3 * prefix.length + payload.length
    if (room > SCRATCH) return viaHmac(prefix, payload)
    let end = BLOCK + inner.write(prefix, BLOCK, "utf8")
    if (typeof payload === "string") end += inner.write(payload, end, "utf8")
    else {
      inner.set(payload, end)
      end += payload.length
    }
    outer.set(hash("sha256", inner.subarray(0, end), "buffer"), BLOCK)
    return hash("sha256", outer, "buffer")
  }
}

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

/** Each key's HMAC on `node:crypto`, made once per key ({@link makeMac}), kept off the `Key` as its bytes are. */
const nodeMacs = new WeakMap<object, Mac>()

/**
 * Records the bytes of a key for the Web Crypto path and, where the runtime has `node:crypto`, makes its HMAC for the
 * synchronous one (`keyObject`: the key's `KeyObject`).
 */
export const remember = (key: object, bytes: Uint8Array, keyObject: NodeCrypto.KeyObject | undefined): void => {
  webKeys.set(key, { bytes: new Uint8Array(bytes), imported: undefined })
  if (node !== undefined && keyObject !== undefined) nodeMacs.set(key, makeMac(node, bytes, keyObject))
}

/** HMAC-SHA256 with a key over `prefix` then the payload, on `node:crypto`; `undefined` where it cannot. */
export const hmacNode = (key: object, prefix: string, payload: string | Uint8Array): Buffer | undefined =>
  nodeMacs.get(key)?.(prefix, payload)

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
