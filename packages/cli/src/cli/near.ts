/**
 * "did you mean send?": the word nearest to a mistyped one, by edit distance, as @effect/cli corrected it before
 * (case-insensitive, at most 2 edits). Effect 4's `effect/cli` suggests flags and commands itself, but keeps its
 * distance to itself; this one serves the values of a flag (`--status faild`) and the groups' commands.
 */

/** The number of single-letter insertions, deletions and substitutions that turn `a` into `b`. */
export const distance = (a: string, b: string): number => {
  const from = a.toLowerCase()
  const to = b.toLowerCase()
  let previous = Array.from({ length: to.length + 1 }, (_, j) => j)
  for (let i = 1; i <= from.length; i++) {
    const current = [i]
    for (let j = 1; j <= to.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (from[i - 1] === to[j - 1] ? 0 : 1)
      )
    }
    previous = current
  }
  return previous[to.length]!
}

/** The nearest of `words` to `word`, within 2 edits (the first of equals), or undefined. */
export const nearest = (word: string, words: ReadonlyArray<string>): string | undefined => {
  let best: { readonly word: string; readonly distance: number } | undefined
  for (const candidate of words) {
    const d = distance(word, candidate)
    if (d <= 2 && (best === undefined || d < best.distance)) best = { word: candidate, distance: d }
  }
  return best?.word
}
