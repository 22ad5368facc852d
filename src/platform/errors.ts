// What a caught error says, whatever was thrown.

/** An error's `code` (ENOENT, EACCES, …), when it has one. */
export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** An error's message, or whatever was thrown as text. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
