/**
 * Our event types against every list that says which types exist, so that the next type OpenAI adds is noticed by a
 * failing test, not by a user:
 *
 * 1. what `GET /webhook_event_types` answers today (`packages/engine/test/fixtures/subscribable-event-types.json`,
 *    the wire body, from issue 10: the loopback API of both editions' endpoints tests answers that call with it);
 * 2. the official SDK's `UnwrapWebhookEvent` union, read off the installed `openai` package's types at test time, so
 *    that upgrading the devDependency to a version with a new type fails here, naming it;
 * 3. the team's facts (`packages/engine/test/fixtures/events.json`, the copy of `../shared/openai/events.json`) and
 *    the types announced since (`events-newer.json` beside it).
 *
 * Ours is the engine's event catalogue (`Events.types`), where the event list is written once; the library's classes
 * are generated from it (test/WebhookEvent.test.ts holds them to it). Never a list written here. A type we know and a
 * list does not have is allowed only with a reason written below (or, for the facts, in events-newer.json).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import ts from "typescript"
import { Events } from "openai-webhooks-engine"
import { factEvents, newerEvents, referenceOf } from "../packages/engine/test/tables/events.js"
import { WebhookEvent, WebhookTesting } from "../src/index.js"
import subscribable from "../packages/engine/test/fixtures/subscribable-event-types.json" with { type: "json" }

const ours: ReadonlyArray<string> = Events.types

/** How a list and ours differ, as wire types. */
interface Drift {
  /** In the list, not ours: the catalogue lacks it. */
  readonly missing: ReadonlyArray<string>
  /** Ours, not in the list, and no reason given. */
  readonly unexplained: ReadonlyArray<string>
  /** A reason given for a type the list now has, or that is not ours: the reason is out of date. */
  readonly stale: ReadonlyArray<string>
}

const driftOf = (
  theirs: ReadonlyArray<string>,
  reasons: Readonly<Record<string, string>>
): Drift => ({
  missing: theirs.filter((type) => !ours.includes(type)),
  unexplained: ours.filter((type) => !theirs.includes(type) && !(type in reasons)),
  stale: Object.keys(reasons).filter((type) => theirs.includes(type) || !ours.includes(type))
})

const ADD_A_CLASS = "add it to the engine's event catalogue (packages/engine/src/Events.ts: OpenAI's description, " +
  "its data fields and reference sample), run `npx tsx scripts/generate-events.ts` to write its class into " +
  "src/WebhookEvent.ts, add its reference to packages/engine/test/fixtures/events-newer.json, and give it a branch " +
  "in the receiver's example handler (packages/cli/src/receiver/handler.ts; its Match.exhaustive does not compile until then)"

// ---------------------------------------------------------------------------------------------------------------------
// 1. The subscribable list

const LIVE_ELSEWHERE = "issue 10: the live.* events are configured elsewhere, not on a webhook endpoint"
const SAFETY_ELSEWHERE = "issue 10: of the safety events only safety.alert.created is subscribable; the others are " +
  "configured elsewhere"

/**
 * The types OpenAI sends that `GET /webhook_event_types` does not list, and why (issue 10: "the `live.*` and other
 * safety events are configured elsewhere").
 */
const configuredElsewhere: Readonly<Record<string, string>> = {
  "live.call.incoming": LIVE_ELSEWHERE,
  "live.transport.connected": LIVE_ELSEWHERE,
  "live.transport.incoming": LIVE_ELSEWHERE,
  "safety.deactivation_issued": SAFETY_ELSEWHERE,
  "safety.org_alert.created": SAFETY_ELSEWHERE,
  "safety.warning_issued": SAFETY_ELSEWHERE
}

const subscribableProblems = (types: ReadonlyArray<string>): ReadonlyArray<string> => {
  const drift = driftOf(types, configuredElsewhere)
  return [
    ...drift.missing.map((type) =>
      `GET /webhook_event_types lists "${type}" (packages/engine/test/fixtures/subscribable-event-types.json), ` +
      `which this package does not know: ${ADD_A_CLASS}`
    ),
    ...drift.unexplained.map((type) =>
      `"${type}" is ours but not subscribable: add it to ` +
      "packages/engine/test/fixtures/subscribable-event-types.json if GET /webhook_event_types lists it, or say where it is configured in configuredElsewhere " +
      "(test/event-drift.test.ts)"
    ),
    ...drift.stale.map((type) =>
      ours.includes(type)
        ? `"${type}" is subscribable now: remove it from configuredElsewhere (test/event-drift.test.ts)`
        : `configuredElsewhere names "${type}", which is not ours: remove it (test/event-drift.test.ts)`
    )
  ]
}

// ---------------------------------------------------------------------------------------------------------------------
// 2. The official SDK's union

const AGENTS = "agent environments and sessions: in openai 7.x's union (events.json), newer than the installed SDK"
const LIVE = "Live SIP sessions: in openai 7.x's union (events.json), newer than the installed SDK"
const SAFETY = "safety notices: in openai 7.x's union (events.json), newer than the installed SDK"
const VIDEO = "OpenAI's guides and the test endpoint's list name it; no SDK union has it yet (events.json)"

/** The types we know that the installed SDK's `UnwrapWebhookEvent` does not have, and why. */
const newerThanSdk: Readonly<Record<string, string>> = {
  "agent.environment.expired": AGENTS,
  "agent.environment.failed": AGENTS,
  "agent.environment.ready": AGENTS,
  "agent.environment.suspended": AGENTS,
  "agent.session.action_required": AGENTS,
  "agent.session.created": AGENTS,
  "agent.session.failed": AGENTS,
  "agent.session.idle": AGENTS,
  "agent.session.in_progress": AGENTS,
  "live.call.incoming": LIVE,
  "live.transport.connected": "Live WebRTC sessions: announced in issue 10, in no SDK union we have read",
  "live.transport.incoming": LIVE,
  "safety.alert.created": SAFETY,
  "safety.deactivation_issued": SAFETY,
  "safety.org_alert.created": SAFETY,
  "safety.warning_issued": SAFETY,
  "video.completed": VIDEO,
  "video.failed": VIDEO
}

const compilerOptions: ts.CompilerOptions = {
  noEmit: true,
  skipLibCheck: true,
  types: [],
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext
}

/**
 * The wire `type` of every member of the `UnwrapWebhookEvent` union that the declaration file `file` exports (itself
 * or through `export *`), read with TypeScript's checker as the SDK's users see it. Throws, saying what to look at,
 * when the file no longer has that shape.
 */
const unionTypesOf = (file: string): ReadonlyArray<string> => {
  const program = ts.createProgram([file], compilerOptions)
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(file)
  const module = source === undefined ? undefined : checker.getSymbolAtLocation(source)
  if (module === undefined) throw new Error(`${file} is not a module`)
  const exported = checker.getExportsOfModule(module).find((symbol) => symbol.name === "UnwrapWebhookEvent")
  if (exported === undefined) {
    throw new Error(`${file} exports no UnwrapWebhookEvent: find where this SDK declares its webhook union`)
  }
  const declared = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
  const union = checker.getDeclaredTypeOfSymbol(declared)
  return (union.isUnion() ? union.types : [union]).flatMap((member) => {
    const property = checker.getPropertyOfType(member, "type")
    const type = property === undefined ? undefined : checker.getTypeOfSymbol(property)
    const literals = type === undefined ? [] : type.isUnion() ? type.types : [type]
    if (literals.length === 0 || !literals.every((literal) => literal.isStringLiteral())) {
      throw new Error(
        `UnwrapWebhookEvent's member ${checker.typeToString(member)} has no string literal \`type\`: read ${file}`
      )
    }
    return literals.map((literal) => (literal as ts.StringLiteralType).value)
  })
}

/** The installed `openai` package's webhook union: its version and the wire types of its members. */
const installedSdk = (): { readonly version: string; readonly types: ReadonlyArray<string> } => {
  const resolved = ts.resolveModuleName("openai/resources/webhooks", import.meta.filename, compilerOptions, ts.sys)
    .resolvedModule
  if (resolved === undefined) {
    throw new Error("cannot resolve openai/resources/webhooks: is the openai devDependency installed, and still there?")
  }
  return { version: resolved.packageId?.version ?? "(unknown version)", types: unionTypesOf(resolved.resolvedFileName) }
}

const sdkProblems = (version: string, types: ReadonlyArray<string>): ReadonlyArray<string> => {
  const drift = driftOf(types, newerThanSdk)
  const union = `openai ${version}'s UnwrapWebhookEvent`
  return [
    ...drift.missing.map((type) => `${union} has "${type}", which this package does not know: ${ADD_A_CLASS}`),
    ...drift.unexplained.map((type) =>
      `"${type}" is ours but not in ${union}: say why in newerThanSdk (test/event-drift.test.ts), or drop it from ` +
      "the catalogue if OpenAI never sends it"
    ),
    ...drift.stale.map((type) =>
      ours.includes(type)
        ? `${union} has "${type}" now: remove it from newerThanSdk (test/event-drift.test.ts)`
        : `newerThanSdk names "${type}", which is not ours: remove it (test/event-drift.test.ts)`
    )
  ]
}

// ---------------------------------------------------------------------------------------------------------------------
// 3. The facts

const factProblems = (
  facts: ReadonlyArray<string>,
  newer: Readonly<Record<string, string>>
): ReadonlyArray<string> => {
  const drift = driftOf(facts, newer)
  return [
    ...drift.missing.map((type) => `events.json (the facts) has "${type}", which this package does not know: ` +
      ADD_A_CLASS),
    ...drift.unexplained.map((type) =>
      `"${type}" is ours but in neither events.json nor events-newer.json: add its reference to ` +
      "packages/engine/test/fixtures/events-newer.json (doc, data, example, where it was announced, the type it " +
      "follows)"
    ),
    ...drift.stale.map((type) =>
      ours.includes(type)
        ? `events.json has "${type}" now: drop it from packages/engine/test/fixtures/events-newer.json`
        : `events-newer.json lists "${type}", which is not ours: drop it or add it to the catalogue`
    )
  ]
}

// ---------------------------------------------------------------------------------------------------------------------

const scratch = mkdtempSync(join(tmpdir(), "event-drift-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** A declaration file in the shape of the SDK's: one interface per event, and the union of them. */
const fakeSdk = (name: string, types: ReadonlyArray<string>): string => {
  const members = types.map((type, index) =>
    `export interface Event${index} { id: string; created_at: number; data: { id: string }; type: '${type}' }\n`
  )
  const union = `export type UnwrapWebhookEvent = ${types.map((_, index) => `Event${index}`).join(" | ")};\n`
  writeFileSync(join(scratch, `${name}-union.d.ts`), members.join("") + union)
  // Re-exported, as openai's `resources/webhooks.d.ts` does.
  const file = join(scratch, `${name}.d.ts`)
  writeFileSync(file, `export * from "./${name}-union.js";\n`)
  return file
}

describe("event types against the lists that say which exist", () => {
  describe("the subscribable list (GET /webhook_event_types)", () => {
    it("is a list response of distinct type strings", () => {
      assert.strictEqual(subscribable.object, "list")
      assert.isAbove(subscribable.data.length, 0)
      assert.strictEqual(new Set(subscribable.data).size, subscribable.data.length)
    })

    it("has a class for every subscribable type, and a reason for every other type we know", () => {
      assert.deepStrictEqual(subscribableProblems(subscribable.data), [])
    })

    it("names a subscribable type we lack, and says to add a class", () => {
      const problems = subscribableProblems([...subscribable.data, "batch.paused"])
      assert.strictEqual(problems.length, 1)
      assert.include(problems[0], "\"batch.paused\"")
      assert.include(problems[0], "add it to the engine's event catalogue (packages/engine/src/Events.ts")
    })

    it("names a type of ours that is neither subscribable nor explained", () => {
      const problems = subscribableProblems(subscribable.data.filter((type) => type !== "video.failed"))
      assert.strictEqual(problems.length, 1)
      assert.include(problems[0], "\"video.failed\" is ours but not subscribable")
    })
  })

  describe("the official SDK's UnwrapWebhookEvent union", () => {
    let sdk: ReturnType<typeof installedSdk>
    beforeAll(() => {
      sdk = installedSdk()
    })

    it("reads the union of the installed openai package, as its users see it", () => {
      assert.match(sdk.version, /^\d+\.\d+\.\d+/)
      assert.include(sdk.types, "response.completed")
      assert.include(sdk.types, "realtime.call.incoming")
      assert.strictEqual(new Set(sdk.types).size, sdk.types.length)
    })

    it("has a class for every type the SDK has, and a reason for every type it lacks", () => {
      assert.deepStrictEqual(sdkProblems(sdk.version, sdk.types), [])
    })

    it("fails on a newer SDK with a new type, naming the type and what to do", () => {
      const types = unionTypesOf(fakeSdk("newer", [...sdk.types, "brand.new.event"]))
      assert.deepStrictEqual(types, [...sdk.types, "brand.new.event"])
      const problems = sdkProblems("9.9.9", types)
      assert.strictEqual(problems.length, 1)
      assert.include(problems[0], "openai 9.9.9's UnwrapWebhookEvent has \"brand.new.event\"")
      assert.include(problems[0], "add it to the engine's event catalogue (packages/engine/src/Events.ts")
    })

    it("asks to drop a reason once the SDK has the type", () => {
      const problems = sdkProblems("9.9.9", unionTypesOf(fakeSdk("caught-up", [...sdk.types, "video.completed"])))
      assert.deepStrictEqual(problems, [
        "openai 9.9.9's UnwrapWebhookEvent has \"video.completed\" now: remove it from newerThanSdk " +
        "(test/event-drift.test.ts)"
      ])
    })

    it("refuses a union whose member has no literal type, rather than reading nothing", () => {
      const file = join(scratch, "loose.d.ts")
      writeFileSync(file, "export interface Loose { type: string }\nexport type UnwrapWebhookEvent = Loose;")
      assert.throws(() => unionTypesOf(file), /Loose has no string literal `type`/)
    })
  })

  describe("the facts (events.json) and the types announced since (events-newer.json)", () => {
    const facts = factEvents.map((event) => event.type)
    const newer = Object.fromEntries(newerEvents.map((event) => [event.type, event.source]))

    it("has a class for every type of the facts, and a reference for every newer one", () => {
      assert.deepStrictEqual(factProblems(facts, newer), [])
    })

    it("asks to drop a newer type from events-newer.json once the facts have it", () => {
      assert.deepStrictEqual(factProblems([...facts, "live.transport.connected"], newer), [
        "events.json has \"live.transport.connected\" now: drop it from " +
          "packages/engine/test/fixtures/events-newer.json"
      ])
    })
  })

  describe("the newest types reach everything built from the catalogue", () => {
    for (const { type } of newerEvents) {
      it(`${type} is a known type with a class, sampled as its reference, and listed by openai-webhooks events`, () => {
        assert.isTrue(Events.isKnown(type))
        assert.isTrue(WebhookEvent.isEventType(type))
        if (!WebhookEvent.isEventType(type)) return
        const sample = WebhookTesting.sample(type)
        assert.notInstanceOf(sample, WebhookEvent.UnknownWebhookEvent)
        assert.strictEqual(WebhookTesting.encode(sample), JSON.stringify(referenceOf(type).example))
        // `openai-webhooks send` signs this sample; test/cli.test.ts sends every EventType to a real receiver.
        assert.strictEqual(Events.summary(Events.get(type)), referenceOf(type).doc)
      })
    }
  })
})
