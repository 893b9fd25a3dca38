import { describe, expect, it } from "vitest"
import { Json } from "../src/index.js"
import { depths, json, nested } from "./tables/json.js"

describe("Json.parseEvent", () => {
  for (const row of json) {
    it(row.expected.ok ? `takes ${row.name}` : `refuses ${row.name} as ${row.expected.reason}`, () => {
      const result = Json.parseEvent(row.payload)
      const expected = row.expected
      if (expected.ok) {
        expect(result.ok).toBe(true)
        if (result.ok) expect(result.value.type).toBe(expected.type)
        return
      }
      expect(result.ok).toBe(false)
      if (result.ok) return
      expect(result.error.reason).toBe(expected.reason)
      if (expected.exact) {
        expect(result.error.message).toBe(expected.message)
      } else {
        // Our words, then the parser's.
        expect(result.error.message.startsWith(expected.message)).toBe(true)
        expect(result.error.message.length).toBeGreaterThan(expected.message.length)
      }
      expect(result.error.path).toBe(expected.path)
      const keys = expected.path === undefined ? ["message", "reason"] : ["message", "path", "reason"]
      expect(Object.keys(result.error).sort()).toEqual(keys)
    })
  }

  it("is Json.parse followed by Json.event, on every row", () => {
    for (const row of json) {
      const parsed = Json.parse(row.payload)
      const both = parsed.ok ? Json.event(parsed.value) : parsed
      const once = Json.parseEvent(row.payload)
      // Compared by what they say, not deeply: some values nest 100,000 levels.
      expect(both.ok, row.name).toBe(once.ok)
      if (both.ok && once.ok) expect(both.value.type, row.name).toBe(once.value.type)
      if (!both.ok && !once.ok) expect(both.error, row.name).toEqual(once.error)
    }
  })

  it("gives the parsed object itself, every key kept", () => {
    const text = "{\"type\":\"x\",\"data\":{\"a\":[1,2]},\"__proto__\":{\"polluted\":true}}"
    const result = Json.parseEvent(text)
    expect(result.ok && result.value).toEqual(JSON.parse(text))
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
  })

  it("says what JSON.parse said, after its own words", () => {
    let said = ""
    try {
      JSON.parse("not json")
    } catch (error) {
      said = (error as Error).message
    }
    const result = Json.parseEvent("not json")
    expect(!result.ok && result.error.message).toBe(`The payload is not valid JSON: ${said}`)
  })
})

describe("Json.deeperThan", () => {
  for (const row of depths) {
    it(`measures ${row.name} against the bound, visiting at most the bound's levels`, () => {
      const value: unknown = JSON.parse(row.text)
      expect(Json.deeperThan(value, Json.maxDepth)).toBe(row.depth > Json.maxDepth)
      // Exactly, where the walk's own depth (the levels asked about) stays well within the stack.
      if (row.depth <= 2 * Json.maxDepth) {
        expect(Json.deeperThan(value, row.depth)).toBe(false)
        if (row.depth > 0) expect(Json.deeperThan(value, row.depth - 1)).toBe(true)
      }
    })
  }
})

describe("Json.preview", () => {
  it("previews 100,000 levels, a million items and a megabyte string in a few characters", () => {
    const texts = [nested("mixed", 100_000), `[${"1,".repeat(1_000_000)}1]`, JSON.stringify("x".repeat(1 << 20))]
    for (const text of texts) {
      const preview = Json.preview(JSON.parse(text), 40)
      expect(preview.length).toBe(40)
      expect(preview).toBe(text.slice(0, 39) + "…")
    }
  })

  it("stops at the bound on a cyclic value instead of overflowing", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    expect(Json.deeperThan(cyclic, Json.maxDepth)).toBe(true)
    expect(Json.preview(cyclic, 30)).toBe("{\"self\":{\"self\":{\"self\":{\"sel…")
  })

  it("never cuts a surrogate pair in half", () => {
    const preview = Json.preview(["\ud83d\ude00".repeat(20)], 10)
    expect(preview.length).toBeLessThanOrEqual(10)
    expect(preview.endsWith("…")).toBe(true)
    const last = preview.charCodeAt(preview.length - 2)
    expect(last >= 0xd800 && last <= 0xdbff).toBe(false)
  })
})

describe("Json.formatPath", () => {
  it("writes a wire path as DecodeError.path does", () => {
    expect(Json.formatPath(["data", "sip_headers", 1, "value"])).toBe("data.sip_headers[1].value")
    expect(Json.formatPath(["type"])).toBe("type")
    expect(Json.formatPath([0, "a"])).toBe("[0].a")
    expect(Json.formatPath([])).toBeUndefined()
  })
})
