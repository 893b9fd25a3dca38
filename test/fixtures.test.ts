/**
 * test/fixtures holds copies of the team's reference facts (signature-vectors.json) so a clone is
 * self-contained. Where the shared originals sit beside the clone (in CI they do), the copies must not have
 * drifted from them. The events' facts moved to the engine with the catalogue: packages/engine/test/Events.test.ts
 * checks packages/engine/test/fixtures/events.json the same way.
 */
import { existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { assert, describe, it } from "@effect/vitest"

const shared = resolve(import.meta.dirname, "../../shared/openai")

describe("fixtures", () => {
  for (const file of ["signature-vectors.json"]) {
    it.skipIf(!existsSync(resolve(shared, file)))(`test/fixtures/${file} matches the shared reference`, () => {
      const copy = JSON.parse(readFileSync(resolve(import.meta.dirname, "fixtures", file), "utf8"))
      const original = JSON.parse(readFileSync(resolve(shared, file), "utf8"))
      assert.deepStrictEqual(copy, original)
    })
  }
})
