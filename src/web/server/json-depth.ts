// How deeply a JSON text nests its arrays and objects, read from the text itself before it is
// parsed: a small body can nest thousands deep ("[[[[…") and every recursive walk after the parse
// (merging, cloning, validating) would then overflow the stack. Brackets inside strings do not count.

/** No request picamd takes nests deeper than a settings import (about 5 levels); room to spare. */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting in `text`, stopping early once it passes `stopAt`. */
export function jsonNestingDepth(text: string, stopAt = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAt) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}
