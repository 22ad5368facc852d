import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface TlsFiles {
  cert: string;
  key: string;
}

/**
 * Checks server.tls before anything starts: both files readable (by the user picamd runs as), a PEM
 * certificate, an unencrypted PEM key, and the key belonging to the certificate. Returns config
 * problems as `path: message`; empty when HTTPS can start. uWebSockets.js itself only says "App
 * construction failed".
 */
export function checkTlsFiles(tls: TlsFiles | null, read: (path: string) => Buffer = (p) => readFileSync(p)): string[] {
  if (!tls) return [];
  const problems: string[] = [];
  const load = (field: 'cert' | 'key'): Buffer | undefined => {
    try {
      return read(tls[field]);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      problems.push(`server.tls.${field}: cannot read ${tls[field]} (${e.code ?? e.message})`);
      return undefined;
    }
  };
  const certPem = load('cert');
  const keyPem = load('key');
  let cert: X509Certificate | undefined;
  if (certPem) {
    try {
      cert = new X509Certificate(certPem);
    } catch {
      problems.push(`server.tls.cert: ${tls.cert} is not a PEM certificate`);
    }
  }
  let key: ReturnType<typeof createPrivateKey> | undefined;
  if (keyPem) {
    try {
      key = createPrivateKey({ key: keyPem, format: 'pem' });
    } catch (err) {
      const encrypted = /passphrase/i.test((err as Error).message) || keyPem.includes('ENCRYPTED');
      problems.push(
        `server.tls.key: ${tls.key} is ${encrypted ? 'encrypted (picamd needs it without a passphrase)' : 'not a PEM private key'}`,
      );
    }
  }
  if (cert && key && !cert.checkPrivateKey(key)) {
    problems.push(`server.tls.key: ${tls.key} does not belong to the certificate ${tls.cert}`);
  }
  return problems;
}

