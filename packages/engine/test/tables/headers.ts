/**
 * The header shapes every edition must read alike, each carrying the kat vector's delivery (or a part of it): fetch
 * `Headers`, records with names in any case, lists of values, empty and absent values. For each: what reading each
 * Standard Webhooks header gives (`Headers.get`), and the verdict of verifying the kat vector's body with its secret
 * at its timestamp through those headers. The engine runs them through `Headers.get` and `Signature.verifyRequest`;
 * each edition through its own `verify`, adding its own shapes (`@effect/platform`'s `Headers`).
 */
import type { HeadersInput } from "../../src/Headers.js"
import type { Expected } from "./signatures.js"
import { kat, vectors } from "./vectors.js"

/** The three Standard Webhooks headers, in the order a verifier reads them. */
export const names = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const

/** One header shape. */
export interface Shape {
  readonly name: string
  /** A fresh value of the shape (fetch `Headers` can be changed, so each run gets its own). */
  readonly input: () => HeadersInput
  /** What reading each header gives; `undefined` when it is absent. */
  readonly values: { readonly [name in (typeof names)[number]]: string | undefined }
  /** Verifying the kat vector's body with its secret at its timestamp, with these headers. */
  readonly expected: Expected
}

const mac = kat.signature.slice("v1,".length)
const [decoy] = vectors.decoys.headers
const VERIFIED: Expected = { ok: true, delivery: { id: kat.id, timestamp: Number(kat.timestamp) } }
const sent = { "webhook-id": kat.id, "webhook-timestamp": kat.timestamp, "webhook-signature": kat.signature }

const missing = (header: string, empty: boolean): Expected => ({
  ok: false,
  reason: "MissingHeader",
  header,
  message: `The ${header} header is ${empty ? "empty" : "missing"}: is this request from OpenAI?`
})

/** Every shape. */
export const shapes: ReadonlyArray<Shape> = [
  { name: "a record with lower-case names", input: () => ({ ...sent }), values: sent, expected: VERIFIED },
  {
    name: "a record whatever the case of its names, with an undefined value beside them",
    input: () => ({
      "Webhook-Id": kat.id,
      "webhook-TIMESTAMP": kat.timestamp,
      "WEBHOOK-SIGNATURE": kat.signature,
      "content-type": undefined
    }),
    values: sent,
    expected: VERIFIED
  },
  {
    name: "a record without a prototype (as @effect/platform makes its Headers)",
    input: () => Object.assign(Object.create(null) as Record<string, string>, sent),
    values: sent,
    expected: VERIFIED
  },
  {
    name: "a record holding a name in lower case and in another case, the lower-case one read",
    input: () => ({ ...sent, "Webhook-Id": "msg_other" }),
    values: sent,
    expected: VERIFIED
  },
  {
    name: "a record whose lower-case name holds undefined, the value under another case",
    input: () => ({ ...sent, "webhook-id": undefined, "Webhook-Id": kat.id }),
    values: sent,
    expected: VERIFIED
  },
  { name: "fetch Headers", input: () => new globalThis.Headers(sent), values: sent, expected: VERIFIED },
  {
    name: "fetch Headers made with names in another case",
    input: () =>
      new globalThis.Headers({
        "Webhook-Id": kat.id,
        "WEBHOOK-TIMESTAMP": kat.timestamp,
        "Webhook-Signature": kat.signature
      }),
    values: sent,
    expected: VERIFIED
  },
  {
    name: "fetch Headers with webhook-signature appended twice (a decoy, then the valid signature)",
    input: () => {
      const headers = new globalThis.Headers({ ...sent, "webhook-signature": decoy! })
      headers.append("webhook-signature", kat.signature)
      return headers
    },
    values: { ...sent, "webhook-signature": `${decoy}, ${kat.signature}` },
    expected: VERIFIED
  },
  {
    name: "fetch Headers with webhook-signature appended as \"v1\", then the MAC",
    input: () => {
      const headers = new globalThis.Headers({ ...sent, "webhook-signature": "v1" })
      headers.append("webhook-signature", mac)
      return headers
    },
    values: { ...sent, "webhook-signature": `v1, ${mac}` },
    expected: VERIFIED
  },
  {
    name: "fetch Headers without webhook-signature",
    input: () => {
      const headers = new globalThis.Headers(sent)
      headers.delete("webhook-signature")
      return headers
    },
    values: { ...sent, "webhook-signature": undefined },
    expected: missing("webhook-signature", false)
  },
  {
    name: "fetch Headers with an empty webhook-id",
    input: () => new globalThis.Headers({ ...sent, "webhook-id": "" }),
    values: { ...sent, "webhook-id": "" },
    expected: missing("webhook-id", true)
  },
  {
    name: "a record of one-item lists",
    input: () => ({
      "webhook-id": [kat.id],
      "webhook-timestamp": [kat.timestamp],
      "webhook-signature": [kat.signature]
    }),
    values: sent,
    expected: VERIFIED
  },
  {
    name: "a record with webhook-signature as a list of two entries, every one checked",
    input: () => ({ ...sent, "webhook-signature": [decoy!, kat.signature] }),
    values: { ...sent, "webhook-signature": `${decoy} ${kat.signature}` },
    expected: VERIFIED
  },
  {
    name: "a record with webhook-signature folded into the list [\"v1\", mac] by an intermediary",
    input: () => ({ ...sent, "webhook-signature": ["v1", mac] }),
    values: { ...sent, "webhook-signature": `v1 ${mac}` },
    expected: VERIFIED
  },
  {
    name: "a record with webhook-signature as an empty list",
    input: () => ({ ...sent, "webhook-signature": [] }),
    values: { ...sent, "webhook-signature": undefined },
    expected: missing("webhook-signature", false)
  },
  {
    name: "a record with webhook-id undefined",
    input: () => ({ ...sent, "webhook-id": undefined }),
    values: { ...sent, "webhook-id": undefined },
    expected: missing("webhook-id", false)
  },
  {
    name: "an empty record",
    input: () => ({}),
    values: { "webhook-id": undefined, "webhook-timestamp": undefined, "webhook-signature": undefined },
    expected: missing("webhook-id", false)
  },
  // Standard Webhooks treats an empty header as a missing one, whatever its shape.
  ...names.flatMap((header) =>
    ([["", ""], ["  ", "  "], [[""], ""], [["", " "], "  "]] as const).map(([value, read]): Shape => ({
      name: `a record whose ${header} is ${JSON.stringify(value)}`,
      input: () => ({ ...sent, [header]: value }),
      values: { ...sent, [header]: read },
      expected: missing(header, true)
    }))
  )
]
