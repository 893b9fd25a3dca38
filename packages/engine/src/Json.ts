/**
 * Nested JSON from outside: how deep it may nest, and walks over it whose recursion is bounded whatever the input.
 *
 * Why: `JSON.parse` accepts any nesting (100,000 levels of `[` parse in milliseconds), but a recursive walk over
 * such a value overflows the stack at a few thousand levels and dies with a `RangeError`: Effect's
 * `Inspectable.formatUnknown` (which ParseResult's formatters call on the value they reject), `JSON.stringify`,
 * `String(event)`. The walks here recurse at most as deep as their bound; a cycle is cut there like any deep value.
 *
 * @since 0.3.0
 */

/**
 * How many levels of arrays and objects JSON kept as it came may nest: the `data` of an event of a type this
 * version does not know. Like serde_json's default recursion limit; OpenAI's payloads nest a few levels.
 */
export const maxDepth = 128

/**
 * Whether `value` nests arrays and objects more than `levels` deep (`1` and `"a"` nest 0 levels, `[]` and `{}` 1,
 * `[[1]]` 2). Visits at most `levels + 1` levels.
 */
export const deeperThan = (value: unknown, levels: number): boolean => {
  if (typeof value !== "object" || value === null) return false
  if (levels <= 0) return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (deeperThan(value[i], levels - 1)) return true
    return false
  }
  for (const key in value) {
    if (hasOwn.call(value, key) && deeperThan((value as Record<string, unknown>)[key], levels - 1)) return true
  }
  return false
}

const hasOwn = Object.prototype.hasOwnProperty

/**
 * `value` written as Effect's `Inspectable.formatUnknown` writes a JSON value (`[1,"a"]`, `{"id":[]}`), at most
 * `max` characters: a longer text is cut to `max - 1` characters and `…`. Builds at most about `max` characters
 * and recurses at most `max` levels, however deep, wide or long the value: a preview of a value from outside for
 * an error message.
 */
export const preview = (value: unknown, max: number): string => {
  let out = ""
  // Each call writes at least one character before it recurses, so the recursion is at most `max` deep.
  const write = (v: unknown): void => {
    if (out.length > max) return
    if (typeof v === "string") {
      // The first max + 1 code units are all the text can show.
      out += JSON.stringify(v.length > max ? v.slice(0, max + 1) : v)
    } else if (Array.isArray(v)) {
      out += "["
      for (let i = 0; i < v.length && out.length <= max; i++) {
        if (i > 0) out += ","
        write(v[i])
      }
      out += "]"
    } else if (typeof v === "object" && v !== null) {
      out += "{"
      let first = true
      for (const key in v) {
        if (out.length > max) break
        if (!hasOwn.call(v, key)) continue
        if (!first) out += ","
        first = false
        out += `${JSON.stringify(key.length > max ? key.slice(0, max + 1) : key)}:`
        write((v as Record<string, unknown>)[key])
      }
      out += "}"
    } else {
      out += String(v)
    }
  }
  write(value)
  if (out.length <= max) return out
  const end = isHighSurrogate(out.charCodeAt(max - 2)) ? max - 2 : max - 1
  return `${out.slice(0, end)}…`
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff
