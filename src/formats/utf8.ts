import { TextDecoder } from 'node:util';

// What the bytes of a password are as text, decided in one place for the login (Basic header) and for
// `picamd hash-password`, so a hash and a login always agree.

/**
 * Strict UTF-8: invalid bytes are an error, not U+FFFD, or every invalid spelling of a password
 * would be the same password ('caf\xe9', 'caf\xff' and 'caf\x80' would all verify against one
 * hash). A leading BOM is kept: it is part of what was sent.
 */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8Decoder().decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The same decoder, for text that arrives in pieces (a terminal): `decode(chunk, { stream: true })`
 * joins a character split across chunks and throws a TypeError on invalid bytes.
 */
export function strictUtf8Decoder(): TextDecoder {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
}
