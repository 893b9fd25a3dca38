/**
 * The published known-answer vectors for Standard Webhooks v1 signatures as OpenAI uses them: the one home of these
 * facts in this repository (a copy of the team's `shared/openai/signature-vectors.json`, which `test/fixtures.test.ts`
 * checks it against where that file sits beside the clone). Every edition runs them.
 *
 * To verify a vector, set the clock to its timestamp: the tolerance is measured from the verifier's clock.
 */

/** One signed delivery, as published: the secret, the three header values and the raw body. */
export interface Vector {
  readonly name: string
  readonly source: string
  readonly secret: string
  readonly id: string
  /** The `webhook-timestamp` header's text, in Unix seconds. */
  readonly timestamp: string
  readonly body: string
  /** The `webhook-signature` header: `v1,<base64>`. */
  readonly signature: string
}

/** The vectors in the shape of `signature-vectors.json`. */
export const vectors: {
  readonly about: string
  readonly valid: ReadonlyArray<Vector>
  readonly decoys: { readonly about: string; readonly headers: ReadonlyArray<string> }
} = {
  about:
    "Known-answer vectors for Standard Webhooks v1 signatures as OpenAI uses them: HMAC-SHA256 over " +
    "`${webhook-id}.${webhook-timestamp}.${raw body}` keyed by base64-decode(secret without its whsec_ prefix), " +
    "sent as `v1,<base64>`; several space-separated signatures may be sent and one match suffices. To verify a " +
    "vector, set the clock to its timestamp (tolerance is measured from the verifier's clock). Published by the " +
    "SDKs and the Standard Webhooks project; checked here with node:crypto.",
  valid: [
    {
      name: "openai-sdk-kat",
      source: "official OpenAI SDK tests (Node, Python, Java use the same constants)",
      secret: "whsec_RdvaYFYUXuIFuEbvZHwMfYFhUf7aMYjYcmM24+Aj40c=",
      id: "wh_685c059ae39c8190af8c71ed1022a24d",
      timestamp: "1750861210",
      body:
        "{\"id\": \"evt_685c059ae3a481909bdc86819b066fb6\", \"object\": \"event\", \"created_at\": 1750861210, " +
        "\"type\": \"response.completed\", \"data\": {\"id\": \"resp_123\"}}",
      signature: "v1,gUAg4R2hWouRZqRQG4uJypNS8YK885G838+EHb4nKBY="
    },
    {
      name: "standard-webhooks-kat-1",
      source: "Standard Webhooks reference libraries' tests",
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
      timestamp: "1614265330",
      body: "{\"test\": 2432232314}",
      signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    },
    {
      name: "standard-webhooks-kat-2",
      source: "Standard Webhooks Rust library tests",
      secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
      id: "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
      timestamp: "1649367553",
      body: "{\"email\":\"test@example.com\",\"username\":\"test_user\"}",
      signature: "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    }
  ],
  decoys: {
    about:
      "Signature headers that must NOT verify the standard-webhooks-kat-1 message, alone; mixed with its valid " +
      "signature, verification must still pass.",
    headers: [
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",
      "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
      "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
      "v1,dawfeoifkpqwoekfpqoekf",
      "v1,",
      "v1,g0hM9SsE",
      "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="
    ]
  }
}

/** The vector named `name`; throws when there is none. */
export const vector = (name: string): Vector => {
  const found = vectors.valid.find((v) => v.name === name)
  if (found === undefined) throw new Error(`no vector named ${name}`)
  return found
}

/** The Standard Webhooks vector the decoys are built against. */
export const kat = vector("standard-webhooks-kat-1")
/** The vector of OpenAI's SDK tests. */
export const sdk = vector("openai-sdk-kat")
/** The Standard Webhooks Rust library's vector. */
export const rust = vector("standard-webhooks-kat-2")
