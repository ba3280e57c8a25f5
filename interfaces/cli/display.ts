/**
 * What chatctl prints of what other people chose (message bodies, user and group names) goes
 * through here, so that no one can forge a line, hide text, or blur a column on a terminal.
 */

/** Controls, invisible format characters (bidi, zero-width), line and paragraph separators, lone surrogates. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** The same, sparing the newline and tab a message body may carry. */
const INVISIBLE_IN_BODY = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;
/** What would let a name be read as two columns, or as another part of a line: spaces, quotes, brackets. */
const NEEDS_QUOTES = /[\s\p{Z}"'\\[\]@:]|^$/u;
/** What starts each line after the first of a multi-line body, so no body line can pass for a header. */
export const CONTINUATION = '    | ';

function escape(character: string): string {
  const code = character.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16).toUpperCase()}}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Shows every invisible or control character as `\uXXXX`, so `\u202E` cannot reverse what follows. */
export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, escape);
}

/**
 * A message body for a display line: invisible characters escaped, and every line after the
 * first indented and marked with CONTINUATION, so a body can never start a line of its own.
 */
export function displayBody(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .replace(INVISIBLE_IN_BODY, escape)
    .split('\n')
    .join(`\n${CONTINUATION}`);
}

/**
 * A user or group name for a display line: as it is when it is one plain word, else in double
 * quotes with `"` and `\` escaped, so `my group` reads as one name, not two columns.
 */
export function displayName(name: string): string {
  return escapeInvisible(name) === name && !NEEDS_QUOTES.test(name) ? name : quotedName(name);
}

/** A name in double quotes, whatever it holds: `"` and `\` escaped, and invisible characters as in escapeInvisible. */
export function quotedName(name: string): string {
  return `"${escapeInvisible(name.replace(/["\\]/g, '\\$&'))}"`;
}
