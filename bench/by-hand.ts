/**
 * What a delivery costs when written by hand, with no library: `node:crypto`'s HMAC over `id.timestamp.body`, one
 * constant-time compare with the single `v1,` entry, `JSON.parse`. The floor server and the hand-written routes of
 * both editions (bench/http-server.ts, packages/effect4/bench/http-server.ts) run this one check. Effect-free, so
 * that either edition's server can import it.
 */
import { createHmac, timingSafeEqual } from "node:crypto"

/** The secret every bench server is configured with. */
export const SECRET = "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c="

const key = Buffer.from(SECRET.slice("whsec_".length), "base64")

/** Whether `body` carries a valid signature in `headers` (Node's lower-cased header record) and parses as JSON. */
export const verifiedByHand = (
  body: Buffer,
  headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
): boolean => {
  const expected = createHmac("sha256", key)
    .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.`)
    .update(body)
    .digest()
  const received = Buffer.from(String(headers["webhook-signature"]).slice(3), "base64")
  return received.length === expected.length && timingSafeEqual(received, expected) &&
    JSON.parse(body.toString("utf8")) !== null
}
