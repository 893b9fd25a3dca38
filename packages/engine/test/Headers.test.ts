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
