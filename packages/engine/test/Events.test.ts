import { existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { describe, expect, it } from "vitest"
import * as Events from "../src/Events.js"
import * as Nesting from "../src/Json.js"
import * as table from "./tables/events.js"

type Json = Events.Json

// ---------------------------------------------------------------------------------------------------------------------
// The facts' notation for a field's type: `string`, `"sip"`, `string (known: "rtp", "srtp"; ...)`, `array of T`,
// `{name: T, value: T}`. Read into the catalogue's words, so that the two can be compared.

type Fact =
  | { readonly kind: "string" | "literal"; readonly value?: string }
  | { readonly kind: "enum"; readonly known: ReadonlyArray<string> }
  | { readonly kind: "array"; readonly items: Fact }
  | { readonly kind: "object"; readonly fields: ReadonlyArray<readonly [string, Fact]> }

/** `a: T, b: {c: T, d: T}` -> its top-level parts, split where no bracket is open. */
const splitTop = (text: string): ReadonlyArray<string> => {
  const parts: Array<string> = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === "{" || char === "(") depth++
    if (char === "}" || char === ")") depth--
    if (char === "," && depth === 0) {
      parts.push(text.slice(start, i).trim())
      start = i + 1
    }
  }
  parts.push(text.slice(start).trim())
  return parts
}

const readFact = (notation: string): Fact => {
  const text = notation.trim()
  if (text === "string") return { kind: "string" }
  if (/^"[^"]*"$/.test(text)) return { kind: "literal", value: text.slice(1, -1) }
  const known = /^string \(known: ([^;)]*)[;)]/.exec(text)
  if (known !== null) {
    return { kind: "enum", known: known[1]!.split(",").map((value) => value.trim().replace(/"/g, "")) }
  }
  if (text.startsWith("array of ")) return { kind: "array", items: readFact(text.slice("array of ".length)) }
  if (text.startsWith("{") && text.endsWith("}")) {
    return {
      kind: "object",
      fields: splitTop(text.slice(1, -1)).map((part) => {
        const colon = part.indexOf(":")
        return [part.slice(0, colon).trim(), readFact(part.slice(colon + 1))] as const
      })
    }
  }
  throw new Error(`the facts write a type this test cannot read: ${notation}`)
}

/** Values the catalogue knows beyond the facts of 2026-11-26, by wire path, and where they were announced. */
const knownSince: Readonly<Record<string, { readonly values: ReadonlyArray<string>; readonly source: string }>> = {
  "data.required_action.type": { values: ["mcp_approval_request"], source: "issue 10" }
}

/** How a catalogue shape differs from the facts' type at `path`: one line a difference. */
const differences = (shape: Events.Shape, fact: Fact, path: string): ReadonlyArray<string> => {
  if (shape.kind === "literal" && fact.kind === "literal") {
    return shape.value === fact.value ? [] : [`${path}: "${shape.value}", facts "${fact.value}"`]
  }
  if (shape.kind === "enum" && fact.kind === "enum") {
    const since = knownSince[path]?.values ?? []
    const expected = [...fact.known, ...since]
    return [...shape.known].sort().join() === [...expected].sort().join()
      ? []
      : [`${path}: known ${shape.known.join(", ")}, facts ${fact.known.join(", ")}`]
  }
  if (shape.kind === "array" && fact.kind === "array") return differences(shape.items, fact.items, `${path}[]`)
  if (shape.kind === "object" && fact.kind === "object") {
    const wires = shape.fields.map((field) => field.wire)
    const factWires = fact.fields.map(([wire]) => wire)
    if ([...wires].sort().join() !== [...factWires].sort().join()) {
      return [`${path}: fields ${wires.join(", ")}, facts ${factWires.join(", ")}`]
    }
    return fact.fields.flatMap(([wire, inner]) =>
      differences(shape.fields.find((field) => field.wire === wire)!.shape, inner, `${path}.${wire}`)
    )
  }
  return shape.kind === fact.kind ? [] : [`${path}: ${shape.kind}, facts ${fact.kind}`]
}

// ---------------------------------------------------------------------------------------------------------------------
// What a value of a shape is, written again here from the rules in Events.ts, to check the samples and the table.

const isObject = (value: unknown): value is { readonly [key: string]: unknown } =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The wire paths where `value` is not of `shape` (none: it is). */
const faultsOf = (shape: Events.Shape, value: unknown, path: string): ReadonlyArray<string> => {
  const here = (ok: boolean) => ok ? [] : [path]
  switch (shape.kind) {
    case "string":
    case "enum":
      return here(typeof value === "string")
    case "integer":
      return here(typeof value === "number" && Number.isSafeInteger(value))
    case "literal":
      return here(value === shape.value)
    case "unknown":
      return []
    case "array":
      return Array.isArray(value)
        ? value.flatMap((item, index) => faultsOf(shape.items, item, `${path}[${index}]`))
        : [path]
    case "object": {
      if (!isObject(value)) return [path]
      return shape.fields.flatMap((field) => {
        const inner = path === "" ? field.wire : `${path}.${field.wire}`
        if (!Object.prototype.hasOwnProperty.call(value, field.wire)) return field.optional ? [] : [inner]
        return faultsOf(field.shape, value[field.wire], inner)
      })
    }
  }
}

/** The faults of a payload as an event: of its known type, or of the envelope of an unknown one. */
const eventFaults = (payload: unknown): ReadonlyArray<string | undefined> => {
  if (!isObject(payload)) return [undefined]
  if (typeof payload["type"] !== "string") return ["type"]
  const known = Events.byType(payload["type"])
  const fields = Events.envelope.map((field) =>
    field.wire === "data" && known !== undefined ? { ...field, shape: { kind: "object", fields: known.data } } : field
  ) as ReadonlyArray<Events.Field>
  const faults = faultsOf({ kind: "object", fields }, payload, "")
  if (faults.length > 0 || known !== undefined) return faults
  return Nesting.deeperThan(payload["data"], Nesting.maxDepth) ? ["data"] : []
}

/** Every field of a shape, nested ones included. */
const fieldsOf = (fields: ReadonlyArray<Events.Field>): ReadonlyArray<Events.Field> =>
  fields.flatMap((field) => [field, ...innerFields(field.shape)])

const innerFields = (shape: Events.Shape): ReadonlyArray<Events.Field> =>
  shape.kind === "object" ? fieldsOf(shape.fields) : shape.kind === "array" ? innerFields(shape.items) : []

// ---------------------------------------------------------------------------------------------------------------------

describe("Events", () => {
  describe("the catalogue against the facts (events.json) and the types announced since (events-newer.json)", () => {
    it("knows every type of the reference, in OpenAI's order, and no other", () => {
      expect(Events.types).toEqual(table.reference.map((event) => event.type))
      expect(Events.all.map((event) => event.type)).toEqual(Events.types)
      expect(new Set(Events.types).size).toBe(Events.types.length)
    })

    for (const fact of table.reference) {
      const event = Events.byType(fact.type)

      it(`${fact.type}: OpenAI's description, deprecation and reference example`, () => {
        expect(event).toBeDefined()
        expect(event?.description).toBe(fact.doc)
        // The facts write it in lower case without a full stop; the catalogue as a sentence.
        const sentence = fact.deprecated === undefined
          ? undefined
          : `${fact.deprecated.charAt(0).toUpperCase()}${fact.deprecated.slice(1)}.`
        expect(event?.deprecated).toBe(sentence)
        expect(event?.sample).toEqual(fact.example)
        // Key for key, in order: what encoding a decoded sample must give back.
        expect(JSON.stringify(event?.sample)).toBe(JSON.stringify(fact.example))
      })

      it(`${fact.type}: the fields of data, their kinds, optionality and descriptions`, () => {
        const fields = event?.data ?? []
        expect(fields.map((field) => field.wire).sort()).toEqual(fact.data.map((field) => field.wire).sort())
        for (const factField of fact.data) {
          const field = fields.find((field) => field.wire === factField.wire)!
          expect(field.optional, factField.wire).toBe(factField.optional === true)
          expect(field.description, factField.wire).toBe(factField.doc)
          expect(differences(field.shape, readFact(factField.type), `data.${field.wire}`)).toEqual([])
        }
      })

      it(`${fact.type}: fields in the order of the reference example, so that encoding gives it back`, () => {
        const order = (event?.data ?? []).map((field) => field.wire)
        const keys = Object.keys(fact.example["data"] as object)
        expect(keys).toEqual(order.filter((wire) => keys.includes(wire)))
      })
    }

    it("has object sent, optional or required, in the facts; the catalogue takes it as optional everywhere", () => {
      for (const fact of table.reference) expect(fact.object).toMatch(/^(optional|required) \("event"\)$/)
      const object = Events.envelope.find((field) => field.wire === "object")
      expect(object).toMatchObject({ optional: true, shape: { kind: "enum", known: ["event"] } })
    })

    it("holds every value it knows beyond the facts to where it was announced", () => {
      for (const [path, { source }] of Object.entries(knownSince)) {
        expect(path).toMatch(/^data\./)
        expect(source).not.toBe("")
      }
    })
  })

  describe("the shape of an event", () => {
    it("has the common envelope in wire order: id, object (optional), created_at, type, data", () => {
      expect(Events.envelope.map((field) => [field.wire, field.name, field.shape.kind, field.optional])).toEqual([
        ["id", "id", "string", false],
        ["object", "object", "enum", true],
        ["created_at", "createdAt", "integer", false],
        ["type", "type", "string", false],
        ["data", "data", "unknown", false]
      ])
    })

    it("names every field in camelCase after its wire key", () => {
      const all = [...fieldsOf(Events.envelope), ...Events.all.flatMap((event) => fieldsOf(event.data))]
      for (const field of all) {
        expect(field.name).toBe(field.wire.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase()))
        expect(field.name).toMatch(/^[a-z][A-Za-z0-9]*$/)
        expect(field.description).toMatch(/\.$/)
      }
      const realtime = Events.get("realtime.call.incoming").data
      expect(realtime.map((field) => field.name)).toEqual(["callId", "sipMediaSecurity", "sipHeaders"])
      const created = Events.get("agent.session.created").data
      expect(created.map((field) => field.name)).toEqual(["id", "environmentType", "environmentId", "connect"])
    })

    it("names each class as the seed reference and the SDKs do", () => {
      expect(Events.get("response.completed").className).toBe("ResponseCompletedWebhookEvent")
      expect(Events.get("fine_tuning.job.cancelled").className).toBe("FineTuningJobCancelledWebhookEvent")
      expect(Events.get("agent.session.action_required").className).toBe("AgentSessionActionRequiredWebhookEvent")
      expect(Events.get("safety.org_alert.created").className).toBe("SafetyOrgAlertCreatedWebhookEvent")
      expect(new Set(Events.all.map((event) => event.className)).size).toBe(Events.all.length)
    })

    it("names one shared model, SipHeader, described as one header", () => {
      const named = Events.all.flatMap((event) => fieldsOf(event.data)).map((field) => field.shape)
        .flatMap((shape) => shape.kind === "array" ? [shape.items] : [shape])
        .filter((shape): shape is Events.ObjectShape => shape.kind === "object" && shape.name !== undefined)
      expect(new Set(named.map((shape) => shape.name))).toEqual(new Set(["SipHeader"]))
      expect(named.every((shape) => shape.description !== undefined && shape === named[0])).toBe(true)
    })

    it("says when each type was first known", () => {
      for (const event of Events.all) expect(event.since).toMatch(/^\d+\.\d+\.\d+$/)
      expect(Events.get("live.transport.connected").since).toBe("0.2.0")
    })
  })

  describe("lookups", () => {
    it("finds a known type, and nothing for any other string", () => {
      expect(Events.byType("video.failed")?.type).toBe("video.failed")
      for (const type of ["brand.new.event", "video", "unknown", "", "__proto__", "constructor", "toString"]) {
        expect(Events.byType(type)).toBeUndefined()
        expect(Events.isKnown(type)).toBe(false)
      }
      for (const type of Events.types) expect(Events.isKnown(type)).toBe(true)
      expect(Events.get("batch.failed")).toBe(Events.byType("batch.failed"))
    })

    it("sums a type up in one line, its deprecation last", () => {
      expect(Events.summary(Events.get("batch.failed"))).toBe("Sent when a batch API request has failed.")
      expect(Events.summary(Events.get("live.call.incoming"))).toBe(
        "Sent when an incoming API SIP session is available for Live acceptance. Deprecated: Superseded by " +
          "live.transport.incoming; existing subscriptions still receive it."
      )
      expect(Events.all.filter((event) => event.deprecated !== undefined).map((event) => event.type)).toEqual([
        "live.call.incoming"
      ])
    })

    it("cannot be changed by one of its users for the others", () => {
      const event = Events.get("realtime.call.incoming")
      expect(Object.isFrozen(Events.all)).toBe(true)
      expect(Object.isFrozen(event)).toBe(true)
      expect(Object.isFrozen(event.sample.data)).toBe(true)
      expect(Object.isFrozen(event.data[0]?.shape)).toBe(true)
      expect(Object.isFrozen(Events.envelope)).toBe(true)
      expect(Object.isFrozen(Events.types)).toBe(true)
      expect(() => {
        ;(event.sample.data as Record<string, Json>)["call_id"] = "changed"
      }).toThrow(TypeError)
    })
  })

  describe("the table both editions run (tables/events.ts)", () => {
    it("has one valid row per known type, its sample, each of which is an event of its type", () => {
      expect(table.valid.map((row) => row.type)).toEqual(Events.types)
      for (const row of table.valid) {
        expect(row.wire).toEqual(Events.get(row.type).sample)
        expect(eventFaults(row.wire), row.name).toEqual([])
      }
    })

    it("has lenient rows that are events of their type all the same, for every type", () => {
      expect(new Set(table.lenient.map((row) => row.type))).toEqual(new Set(Events.types))
      for (const row of table.lenient) {
        expect(row.wire["type"], row.name).toBe(row.type)
        expect(eventFaults(row.wire), row.name).toEqual([])
        expect(eventFaults(row.encoded), row.name).toEqual([])
      }
      const names = table.lenient.map((row) => row.name)
      expect(names).toContain("realtime.call.incoming: without the optional data.sip_media_security")
      expect(names).toContain("agent.session.action_required: data.required_action.type is \"mcp_approval_request\"")
      expect(names).toContain("agent.session.failed: data.environment_type is \"not_announced_yet\"")
      expect(names).toContain("batch.completed: without object")
    })

    it("has invalid rows each with exactly one fault, at the path the row names", () => {
      for (const row of table.invalid) expect(eventFaults(row.wire), row.name).toEqual([row.path])
      const eventTypes = new Set(table.invalid.map((row) => row.eventType))
      for (const type of Events.types) expect(eventTypes.has(type), type).toBe(true)
    })

    it("names a fault of every required field of every type, and a wrong kind of every field", () => {
      for (const event of Events.all) {
        const paths = new Set(table.invalid.filter((row) => row.eventType === event.type).map((row) => row.path))
        for (const path of ["id", "object", "created_at", "data"]) expect(paths.has(path), path).toBe(true)
        for (const field of event.data) expect(paths.has(`data.${field.wire}`), field.wire).toBe(true)
      }
      const paths = new Set(table.invalid.map((row) => row.path))
      for (const path of ["data.sip_headers[2].value", "data.connect.remote_url", "data.required_action.type"]) {
        expect(paths.has(path), path).toBe(true)
      }
    })

    it("has unknown rows whose type no catalogue entry has", () => {
      for (const row of table.unknown) {
        expect(Events.isKnown(row.wire["type"] as string), row.name).toBe(false)
        expect(eventFaults(row.wire), row.name).toEqual([])
      }
    })

    it("gives unique names, so that a failing row is found at once", () => {
      const names = [...table.valid, ...table.lenient, ...table.invalid, ...table.unknown].map((row) => row.name)
      expect(new Set(names).size).toBe(names.length)
    })

    it("writes wire paths as DecodeError.path does", () => {
      expect(table.wirePath(["data", "sip_headers", 1, "value"])).toBe("data.sip_headers[1].value")
      expect(table.wirePath(["created_at"])).toBe("created_at")
      expect(table.wirePath([])).toBe("")
    })
  })

  describe("the fixtures", () => {
    const shared = resolve(import.meta.dirname, "../../../../shared/openai/events.json")
    it.skipIf(!existsSync(shared))("keeps fixtures/events.json a copy of the shared facts", () => {
      const copy = JSON.parse(readFileSync(resolve(import.meta.dirname, "fixtures/events.json"), "utf8"))
      expect(copy).toEqual(JSON.parse(readFileSync(shared, "utf8")))
    })

    it("slots each newer type in after the type it follows", () => {
      for (const newer of table.newerEvents) {
        const index = table.reference.findIndex((event) => event.type === newer.type)
        expect(table.reference[index - 1]?.type).toBe(newer.after)
        expect(table.factEvents.some((event) => event.type === newer.type)).toBe(false)
      }
    })
  })
})
