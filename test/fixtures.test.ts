/**
 * The repository holds copies of the team's reference facts so a clone is self-contained: the signature vectors in
 * the engine's table (packages/engine/test/tables/vectors.ts), which both editions run. Where the shared originals sit
 * beside the clone (in CI they do), the copies must not have drifted from them. The events' facts moved to the engine
 * with the catalogue: packages/engine/test/Events.test.ts checks packages/engine/test/fixtures/events.json the same way.
 */
import { existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { vectors } from "../packages/engine/test/tables/vectors.js"

const shared = resolve(import.meta.dirname, "../../shared/openai")

const copies: ReadonlyArray<readonly [file: string, where: string, copy: () => unknown]> = [
  ["signature-vectors.json", "the engine's table of vectors", () => vectors]
]

describe("fixtures", () => {
  for (const [file, where, copy] of copies) {
    it.skipIf(!existsSync(resolve(shared, file)))(`${where} matches the shared ${file}`, () => {
      const original = JSON.parse(readFileSync(resolve(shared, file), "utf8"))
      assert.deepStrictEqual(copy(), original)
    })
  }
})
