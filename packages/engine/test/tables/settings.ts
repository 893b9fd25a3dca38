/**
 * Settings every edition must read alike (`Setting`): where a secret setting is found (`<NAME>` or the file
 * `<NAME>_FILE` names), what a file's contents give, and whole numbers in and out of bounds. The engine runs them
 * through `Setting.locate`, `Setting.fromFile` and `Setting.integer`; each edition through its configuration.
 */
import type { Reason } from "../../src/Setting.js"

/** Where `OPENAI_WEBHOOK_SECRET` is found in an environment, or why it cannot be. */
export interface Located {
  readonly name: string
  readonly environment: Readonly<Record<string, string | undefined>>
  /** Read as a credential: empty refused rather than unset. */
  readonly credential?: true
  readonly expected:
    | { readonly _tag: "Value"; readonly value: string }
    | { readonly _tag: "File"; readonly path: string }
    | { readonly _tag: "Unset" }
    | { readonly reason: Reason; readonly variable: string }
}

const NAME = "OPENAI_WEBHOOK_SECRET"
const FILE = "OPENAI_WEBHOOK_SECRET_FILE"

export const located: ReadonlyArray<Located> = [
  { name: "neither set", environment: {}, expected: { _tag: "Unset" } },
  { name: "both empty (empty counts as unset)", environment: { [NAME]: "", [FILE]: "" }, expected: { _tag: "Unset" } },
  { name: "the value", environment: { [NAME]: "whsec_abc" }, expected: { _tag: "Value", value: "whsec_abc" } },
  {
    name: "the file, the value empty",
    environment: { [NAME]: "", [FILE]: "/run/secrets/openai" },
    expected: { _tag: "File", path: "/run/secrets/openai" }
  },
  {
    name: "the value, the file variable empty",
    environment: { [NAME]: "whsec_abc", [FILE]: "" },
    expected: { _tag: "Value", value: "whsec_abc" }
  },
  {
    name: "the value empty, read as a credential",
    environment: { [NAME]: "" },
    credential: true,
    expected: { reason: "Empty", variable: NAME }
  },
  {
    name: "the file variable empty, read as a credential",
    environment: { [FILE]: "" },
    credential: true,
    expected: { reason: "Empty", variable: FILE }
  },
  {
    name: "the value, read as a credential",
    environment: { [NAME]: "whsec_abc" },
    credential: true,
    expected: { _tag: "Value", value: "whsec_abc" }
  },
  { name: "neither set, read as a credential", environment: {}, credential: true, expected: { _tag: "Unset" } },
  {
    name: "both set",
    environment: { [NAME]: "whsec_abc", [FILE]: "/run/secrets/openai" },
    expected: { reason: "Conflict", variable: FILE }
  }
]

/** What a file's contents (or the error reading it) give. */
export interface FileRead {
  readonly name: string
  readonly read: { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: unknown }
  readonly expected: { readonly value: string } | { readonly reason: Reason; readonly message: RegExp }
}

export const files: ReadonlyArray<FileRead> = [
  { name: "a value", read: { ok: true, value: "s3cret-value" }, expected: { value: "s3cret-value" } },
  {
    name: "a value and echo's line break",
    read: { ok: true, value: "s3cret-value\n" },
    expected: { value: "s3cret-value" }
  },
  { name: "a value and a CRLF", read: { ok: true, value: "s3cret-value\r\n" }, expected: { value: "s3cret-value" } },
  {
    name: "two line breaks (only one is dropped)",
    read: { ok: true, value: "s3cret-value\n\n" },
    expected: { value: "s3cret-value\n" }
  },
  { name: "nothing", read: { ok: true, value: "" }, expected: { reason: "EmptyFile", message: /is empty/ } },
  { name: "one line break", read: { ok: true, value: "\n" }, expected: { reason: "EmptyFile", message: /is empty/ } },
  {
    name: "a missing file",
    read: { ok: false, error: Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" }) },
    expected: { reason: "Unreadable", message: /no such file/ }
  },
  {
    name: "a file this user may not read",
    read: { ok: false, error: Object.assign(new Error("EACCES"), { code: "EACCES" }) },
    expected: { reason: "Unreadable", message: /may not read/ }
  },
  {
    name: "a folder",
    read: { ok: false, error: Object.assign(new Error("EISDIR"), { code: "EISDIR" }) },
    expected: { reason: "Unreadable", message: /folder/ }
  }
]

/** Whole numbers as a variable holds them, with bounds 1 to 1000. */
export const integers: ReadonlyArray<{ readonly text: string; readonly expected: number | Reason }> = [
  { text: "1", expected: 1 },
  { text: "32", expected: 32 },
  { text: "1000", expected: 1000 },
  { text: "007", expected: 7 },
  { text: "0", expected: "OutOfRange" },
  { text: "-1", expected: "OutOfRange" },
  { text: "1001", expected: "OutOfRange" },
  { text: "100000000000000000", expected: "OutOfRange" },
  { text: "99999999999999999999999999999999", expected: "OutOfRange" },
  { text: "", expected: "NotInteger" },
  { text: "1e3", expected: "NotInteger" },
  { text: "1e17", expected: "NotInteger" },
  { text: "0x10", expected: "NotInteger" },
  { text: "0b11", expected: "NotInteger" },
  { text: "1.5", expected: "NotInteger" },
  { text: "10.0", expected: "NotInteger" },
  { text: "+8", expected: "NotInteger" },
  { text: " 8", expected: "NotInteger" },
  { text: "8 ", expected: "NotInteger" },
  { text: "Infinity", expected: "NotInteger" },
  { text: "NaN", expected: "NotInteger" },
  { text: "١٢", expected: "NotInteger" },
  { text: "ten", expected: "NotInteger" }
]
