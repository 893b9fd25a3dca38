import { describe, expect, it } from "vitest"
import * as Setting from "../src/Setting.js"
import { files, integers, located } from "./tables/settings.js"

const SECRET = "OPENAI_WEBHOOK_SECRET"

describe("Setting", () => {
  describe("locate", () => {
    for (const row of located) {
      it(`finds ${row.name}`, () => {
        const result = Setting.locate(row.environment, SECRET, row.credential ? { emptyIsUnset: false } : {})
        if ("reason" in row.expected) {
          expect(result.ok).toBe(false)
          if (!result.ok) {
            expect(result.error.reason).toBe(row.expected.reason)
            expect(result.error.variable).toBe(row.expected.variable)
            expect(result.error.hint).not.toBe("")
            // The values are never shown, only the names.
            for (const value of Object.values(row.environment)) {
              if (value) expect(`${result.error.message} ${result.error.hint}`).not.toContain(value)
            }
          }
        } else {
          expect(result.ok).toBe(true)
          if (result.ok) expect(result.value).toMatchObject(row.expected)
        }
      })
    }
  })

  describe("fromFile", () => {
    const source = { variable: "OPENAI_WEBHOOK_SECRET_FILE", path: "/run/secrets/openai" }
    for (const row of files) {
      it(`reads ${row.name}`, () => {
        const result = Setting.fromFile(source, row.read)
        if ("value" in row.expected) {
          expect(result).toEqual({ ok: true, value: row.expected.value })
        } else {
          expect(result.ok).toBe(false)
          if (!result.ok) {
            expect(result.error.reason).toBe(row.expected.reason)
            expect(result.error.variable).toBe(source.variable)
            expect(result.error.message).toMatch(row.expected.message)
            expect(result.error.message).toContain(source.path)
          }
        }
      })
    }
  })

  describe("read", () => {
    it("reads the file <NAME>_FILE names, and never shows its contents in a refusal", () => {
      const contents = new Map([["/run/secrets/openai", "whsec_from_the_file\n"], ["/run/secrets/blank", "\n"]])
      const readFile = (path: string) => {
        const found = contents.get(path)
        if (found === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" })
        return found
      }
      expect(Setting.read({ [`${SECRET}_FILE`]: "/run/secrets/openai" }, SECRET, readFile)).toEqual({
        ok: true,
        value: { variable: `${SECRET}_FILE`, value: "whsec_from_the_file" }
      })
      expect(Setting.read({ [SECRET]: "whsec_direct" }, SECRET, readFile)).toEqual({
        ok: true,
        value: { variable: SECRET, value: "whsec_direct" }
      })
      expect(Setting.read({}, SECRET, readFile)).toEqual({ ok: true, value: undefined })
      const missing = Setting.read({ [`${SECRET}_FILE`]: "/run/secrets/none" }, SECRET, readFile)
      expect(missing.ok ? undefined : missing.error.reason).toBe("Unreadable")
      const blank = Setting.read({ [`${SECRET}_FILE`]: "/run/secrets/blank" }, SECRET, readFile)
      expect(blank.ok ? undefined : blank.error.reason).toBe("EmptyFile")
    })
  })

  describe("integer", () => {
    const bounds = { min: 1, max: 1000 }
    for (const row of integers) {
      it(`reads ${JSON.stringify(row.text)} as ${row.expected}`, () => {
        const result = Setting.integer(row.text, bounds)
        if (typeof row.expected === "number") expect(result).toEqual({ ok: true, value: row.expected })
        else {
          expect(result.ok).toBe(false)
          if (!result.ok) {
            expect(result.error.reason).toBe(row.expected)
            // Every refusal states the bounds.
            expect(result.error.message).toContain("from 1 to 1000")
          }
        }
      })
    }
  })

  describe("isLoopback", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]", "::ffff:127.0.0.1"]) {
      it(`says ${host} is loopback`, () => expect(Setting.isLoopback(host)).toBe(true))
    }
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "example.com", "128.0.0.1", "127.0.0.1.nip.io"]) {
      it(`says ${host} is not loopback`, () => expect(Setting.isLoopback(host)).toBe(false))
    }
  })
})
