// The point of these patterns is to find control characters.
/* eslint-disable no-control-regex */
/** Unicode control characters (C0, DEL, C1), which no name or message may carry except where a rule allows newlines. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const CONTROL_EXCEPT_NEWLINE_AND_TAB = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;
/** A UTF-16 surrogate that has no partner: what invalid UTF-8 and broken JSON escapes decode to. */
/* eslint-enable no-control-regex */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;
/**
 * Characters that show nothing yet change what a name looks like or how it sorts: Unicode's
 * format characters (category Cf: zero-width spaces and joiners, bidi controls such as
 * U+202E, the BOM, soft hyphens, tags) and the Hangul fillers that render as blanks.
 */
const INVISIBLE = /[\p{Cf}\u115f\u1160\u3164\uffa0]/u;

/** Length in Unicode code points, which is what every limit in parley counts: an emoji is one character. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function hasControlCharacters(text: string, { allowNewlines = false } = {}): boolean {
  return (allowNewlines ? CONTROL_EXCEPT_NEWLINE_AND_TAB : CONTROL).test(text);
}

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** Whether the text holds a character that is invisible but not a space: see INVISIBLE. */
export function hasInvisibleCharacters(text: string): boolean {
  return INVISIBLE.test(text);
}
