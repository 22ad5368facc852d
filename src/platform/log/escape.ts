// Text from the network in a log line: printable ASCII passes, anything else (control characters,
// DEL, bidi overrides such as U+202E, bytes of a broken encoding) is shown as an escape, so a
// request cannot forge, reorder or hide log lines. Long text is cut.

export function escapeForLog(text: string, max = 200): string {
  let out = '';
  for (const ch of text) {
    if (out.length >= max) return `${out}...`;
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code < 0x7f && ch !== '\\') out += ch;
    else if (ch === '\\') out += '\\\\';
    else if (code < 0x100) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += `\\u{${code.toString(16)}}`;
  }
  return out;
}
