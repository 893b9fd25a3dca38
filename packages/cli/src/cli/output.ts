/** Whether `openai-webhooks` colours what it prints (its help: `./help.ts`). */

/** Whether to colour: a terminal, and neither NO_COLOR (https://no-color.org) nor TERM=dumb. */
export const colours = (stream: { readonly isTTY?: boolean | undefined }, env: NodeJS.ProcessEnv): boolean =>
  stream.isTTY === true && (env["NO_COLOR"] ?? "") === "" && env["TERM"] !== "dumb"
