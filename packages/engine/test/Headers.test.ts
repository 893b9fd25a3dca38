import { describe, expect, it } from "vitest"
import * as Headers from "../src/Headers.js"
import * as Secret from "../src/Secret.js"
import * as Signature from "../src/Signature.js"
import { names, shapes } from "./tables/headers.js"
import { kat } from "./tables/vectors.js"
import { expectVerdict } from "./verdict.js"

const key = Secret.parse(kat.secret)

describe("Headers", () => {
  describe("the table of header shapes", () => {
    for (const shape of shapes) {
      it(`reads ${shape.name}`, () => {
        const input = shape.input()
        expect(Object.fromEntries(names.map((name) => [name, Headers.get(input, name)]))).toEqual(shape.values)
      })

      it(`verifies the kat delivery through ${shape.name} as the table says`, () => {
        if (!key.ok) throw new Error(key.error.message)
        const result = Signature.verifyRequest([key.value], shape.input(), kat.body, Number(kat.timestamp), 300)
        expectVerdict(result, shape.expected)
      })
    }
  })

  it("gives undefined for a header that is absent, whatever else is there", () => {
    expect(Headers.get({ "content-type": "application/json" }, "webhook-id")).toBeUndefined()
    expect(Headers.get(new globalThis.Headers({ "content-type": "application/json" }), "webhook-id")).toBeUndefined()
  })

  it("does not take a longer or shorter name for the one asked", () => {
    expect(Headers.get({ "webhook-ids": "a", "webhook-i": "b" }, "webhook-id")).toBeUndefined()
  })
})

/** A parse that succeeded with `value`. */
const ok = <A>(value: A) => ({ ok: true as const, value })

describe("Headers.parse: headers pasted as text, in each form people copy them", () => {
  it("reads a JSON object: names lowercased, lists kept for the library's header reader, other values as text", () => {
    const text = JSON.stringify({
      "Webhook-Id": "msg_1",
      "WEBHOOK-TIMESTAMP": 1700000000,
      "webhook-signature": ["v1,a", "v1,b"]
    })
    expect(Headers.parse(`\n  ${text}\n`)).toEqual(ok({
      "webhook-id": "msg_1",
      "webhook-timestamp": "1700000000",
      "webhook-signature": ["v1,a", "v1,b"]
    }))
  })

  it("reads Name: value lines: names lowercased, values trimmed, split at the first colon, CRLF, blank lines", () => {
    const text = "Host: 127.0.0.1:8787\r\n\r\nWebhook-Id:msg_1\r\n  WEBHOOK-Signature :  v1,abc=  \r\n"
    expect(Headers.parse(text)).toEqual(ok({
      "host": "127.0.0.1:8787",
      "webhook-id": "msg_1",
      "webhook-signature": "v1,abc="
    }))
  })

  it("joins a repeated Name: value line with \", \", as Node joins repeated header lines", () => {
    const repeated = "webhook-signature: v1\nWebhook-Signature: abc=\n"
    expect(Headers.parse(repeated)).toEqual(ok({ "webhook-signature": "v1, abc=" }))
  })

  it("reads an empty file as no headers", () => {
    expect(Headers.parse(" \n")).toEqual(ok({}))
  })

  it("explains a file that looks like JSON but does not parse, or is not an object", () => {
    const result = Headers.parse("{\"webhook-id\": ")
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.message).toMatch(/^the headers look like JSON but do not parse: /)
    const list = Headers.parse("[1, 2]")
    expect(list.ok).toBe(false)
  })

  it("skips a request line and HTTP/2 pseudo-headers, as copied from a log or a browser", () => {
    const pasted = "POST /webhooks/openai HTTP/1.1\n:method: POST\n:path: /webhooks/openai\nWebhook-Id: msg_1\n"
    expect(Headers.parse(pasted)).toEqual(ok({ "webhook-id": "msg_1" }))
  })

  it("names the first line that is not Name: value", () => {
    for (const line of ["webhook-id msg_1", "= no name"]) {
      expect(Headers.parse(`Webhook-Id: msg_1\n${line}\n`)).toEqual(({
          ok: false,
          error: {
            reason: "InvalidHeaders",
            message: `the headers have a line that is not "Name: value": ${JSON.stringify(line)}`
          }
        }))
    }
  })

  it("reads a curl command's -H and --header arguments, single- or double-quoted, and -H lines alone", () => {
    const expected = ok({
      "webhook-id": "msg_1",
      "webhook-timestamp": "1700000000",
      "webhook-signature": "v1,a= v1,b="
    })
    expect(Headers.parse(
        "curl 'https://example.com/hook' \\\n  -H 'Webhook-Id: msg_1' \\\n  --header \"webhook-timestamp: 1700000000\" " +
          "\\\n  -H 'webhook-signature: v1,a= v1,b=' --data-raw '{\"a\": 1}'"
      )).toEqual(expected)
    const lines = "-H 'webhook-id: msg_1'\n-H 'webhook-timestamp: 1700000000'\n-H 'webhook-signature: v1,a= v1,b='\n"
    expect(Headers.parse(lines)).toEqual(expected)
  })

  it("reads a request as browsers copy it: Copy as fetch, a request with its headers field, HAR's list", () => {
    const expected = ok({ "webhook-id": "msg_1", "content-type": "application/json" })
    const headers = { "Webhook-Id": "msg_1", "Content-Type": "application/json" }
    const options = JSON.stringify({ headers, body: "{}", method: "POST" }, null, 2)
    expect(Headers.parse(`fetch("https://example.com/hook", ${options});`)).toEqual(expected)
    expect(Headers.parse(JSON.stringify({ method: "POST", headers }))).toEqual(expected)
    expect(Headers.parse(JSON.stringify([
        { name: "Webhook-Id", value: "msg_1" },
        { name: "content-type", value: "application/json" }
      ]))).toEqual(expected)
  })

})
