// picamd-setup.txt: the settings a person types on a PC into the boot partition (Wi-Fi, host name,
// owner, time zone). Pure text in, values out, and the rewritten text back: no files here.
//
// Format: `key = value` lines; `#` starts a comment line (not an inline comment: passwords may
// contain `#`). Blank lines are ignored. A value that starts and ends with a double quote loses
// those two quotes, so leading or trailing spaces can be kept. Windows Notepad is welcome: a UTF-8
// byte order mark and CRLF line ends are accepted, and the rewritten file keeps them.

export const SETUP_KEYS = [
  'wifi_name',
  'wifi_password',
  'wifi_country',
  'wifi_hidden',
  'hostname',
  'owner_name',
  'owner_password',
  'timezone',
] as const;
export type SetupKey = (typeof SETUP_KEYS)[number];

/** Keys whose values never stay in the file once applied. */
export const SECRET_KEYS: ReadonlySet<SetupKey> = new Set<SetupKey>(['wifi_password', 'owner_password']);

export interface SetupEntry {
  key: SetupKey;
  value: string;
  /** 1-based line number, for messages a person can find in the file. */
  line: number;
}

export interface ParsedSetupFile {
  /** Settings with a non-empty value, in file order. */
  entries: SetupEntry[];
  /** `line N: ...` problems of the file's shape (unknown keys, lines without `=`, repeats). */
  problems: string[];
  /** The lines without their ends, the BOM and earlier `# error:` lines removed. */
  lines: string[];
  bom: boolean;
  eol: '\n' | '\r\n';
  /** Whether the text ended with a line end (kept on rewrite). */
  finalEol: boolean;
}

const BOM = '\uFEFF';
const ERROR_PREFIX = '# error:';
const KEY_LINE = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/;

function isComment(line: string): boolean {
  return /^\s*#/.test(line);
}

/** The value as written: outer blanks trimmed, then one pair of surrounding double quotes removed. */
export function unquote(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) return trimmed.slice(1, -1);
  return trimmed;
}

export function parseSetupFile(text: string): ParsedSetupFile {
  const bom = text.startsWith(BOM);
  const body = bom ? text.slice(1) : text;
  const eol = body.includes('\r\n') ? '\r\n' : '\n';
  const finalEol = /\r?\n$/.test(body);
  const all = body.split(/\r?\n/);
  if (finalEol) all.pop();
  // Our own error lines from an earlier attempt are not part of what the person wrote; without
  // them the line numbers are the same on every attempt.
  const lines = all.filter((line) => !line.startsWith(ERROR_PREFIX));
  const entries: SetupEntry[] = [];
  const problems: string[] = [];
  const seen = new Map<SetupKey, number>();
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '' || isComment(raw)) return;
    const m = KEY_LINE.exec(raw);
    if (!m) {
      problems.push(`line ${n}: not a "name = value" line (comments start with #)`);
      return;
    }
    const name = m[1]!.toLowerCase();
    if (!(SETUP_KEYS as readonly string[]).includes(name)) {
      problems.push(`line ${n}: unknown setting "${m[1]}" (known: ${SETUP_KEYS.join(', ')})`);
      return;
    }
    const key = name as SetupKey;
    const value = unquote(m[2]!);
    if (value === '') return;
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push(`line ${n}: ${key} is already set on line ${first}`);
      return;
    }
    seen.set(key, n);
    entries.push({ key, value, line: n });
  });
  return { entries, problems, lines, bom, eol, finalEol };
}

function join(parsed: ParsedSetupFile, lines: string[]): string {
  const text = lines.join(parsed.eol) + (parsed.finalEol || lines.length === 0 ? parsed.eol : '');
  return (parsed.bom ? BOM : '') + text;
}

/** Control characters would break the one-line format; the error text must stay one line each. */
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, ' ');
}

/**
 * The problems as the rewritten file will show them: `line N` counts from the top of that file,
 * below the error lines themselves (one heading and one line per problem).
 */
export function problemsAsShown(problems: readonly string[]): string[] {
  const offset = 1 + problems.length;
  return problems.map((p) => oneLine(p.replace(/^line (\d+):/, (_, n: string) => `line ${Number(n) + offset}:`)));
}

/**
 * The file after a failed attempt: every setting left as it is (nothing was applied, the person
 * fixes the file), the reasons as `# error:` lines at the top. Earlier error lines are replaced,
 * so the same mistake gives the same file on every boot.
 */
export function renderSetupErrors(parsed: ParsedSetupFile, problems: readonly string[], applied: 'nothing' | 'part' = 'nothing'): string {
  const header = [
    applied === 'nothing'
      ? `${ERROR_PREFIX} nothing was applied. Fix the lines below, then start the camera again.`
      : `${ERROR_PREFIX} PART of this file was applied and could not be undone (the files are named below). Fix the cause, then start the camera again to apply it all.`,
    ...problemsAsShown(problems).map((p) => `${ERROR_PREFIX} ${p}`),
  ];
  return join(parsed, [...header, ...parsed.lines]);
}

/**
 * The file after a successful apply: each applied line becomes a comment saying when, passwords
 * replaced by "(removed)", so the file holds no secret and the next boot has nothing to do.
 * Everything else (the template's explanations) stays.
 */
export function renderSetupApplied(parsed: ParsedSetupFile, appliedAt: string): string {
  const byLine = new Map(parsed.entries.map((e) => [e.line, e]));
  const out: string[] = [];
  parsed.lines.forEach((raw, i) => {
    const entry = byLine.get(i + 1);
    if (!entry) {
      out.push(raw); // comments, blank lines, and keys left empty (nothing was set)
      return;
    }
    const shown = SECRET_KEYS.has(entry.key) ? `${entry.key} (removed)` : `${entry.key} = ${oneLine(entry.value)}`;
    out.push(`# applied on ${appliedAt}: ${shown}`);
  });
  return join(parsed, out);
}

/** Whether the file asks for anything: the service has nothing to do (and rewrites nothing) when not. */
export function hasSettings(parsed: ParsedSetupFile): boolean {
  return parsed.entries.length > 0 || parsed.problems.length > 0;
}
