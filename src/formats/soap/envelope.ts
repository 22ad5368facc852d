import { ENVELOPE_XMLNS, NS, PASSWORD_DIGEST, PASSWORD_TEXT } from './namespaces.js';
import { child, escapeXml, parseXml, type XmlElement } from './xml.js';

// A SOAP 1.2 request read into what the services need (the header, the one operation in the body),
// and answers written as text. SOAP 1.1 envelopes get a VersionMismatch fault, as SOAP 1.2 asks.

export interface SoapRequest {
  header: XmlElement | undefined;
  /** The body's first element: the operation, e.g. {tds}GetDeviceInformation. */
  operation: XmlElement;
}

export interface SoapFault {
  /** HTTP status: 400 for the sender's faults, 500 for the receiver's (SOAP 1.2 HTTP binding). */
  status: 400 | 500;
  code: 'Sender' | 'Receiver' | 'VersionMismatch';
  /** ONVIF's subcodes, e.g. ['ter:ActionNotSupported'] or ['ter:InvalidArgVal', 'ter:NoProfile']. */
  subcodes: string[];
  reason: string;
}

export type EnvelopeResult = { ok: true; request: SoapRequest } | { ok: false; fault: SoapFault };

export function parseEnvelope(body: Uint8Array | string): EnvelopeResult {
  const parsed = parseXml(body);
  if (!parsed.ok) return { ok: false, fault: fault('Sender', ['ter:WellFormed'], `Malformed XML: ${parsed.reason}.`) };
  const root = parsed.root;
  if (root.name !== 'Envelope' || (root.ns !== NS.soap && root.ns !== NS.soap11)) {
    return { ok: false, fault: fault('Sender', ['ter:WellFormed'], 'Not a SOAP envelope.') };
  }
  if (root.ns === NS.soap11) return { ok: false, fault: { status: 500, code: 'VersionMismatch', subcodes: [], reason: 'Only SOAP 1.2 is supported.' } };
  const bodyElement = child(root, NS.soap, 'Body');
  const operation = bodyElement?.children[0];
  if (!operation) return { ok: false, fault: fault('Sender', ['ter:InvalidArgVal'], 'The SOAP body is empty.') };
  return { ok: true, request: { header: child(root, NS.soap, 'Header'), operation } };
}

export function fault(code: 'Sender' | 'Receiver', subcodes: string[], reason: string): SoapFault {
  return { status: code === 'Sender' ? 400 : 500, code, subcodes, reason };
}

/** A whole answer: the envelope around `body` (elements using the prefixes of ENVELOPE_XMLNS). */
export function envelope(body: string, header = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope ${ENVELOPE_XMLNS}>${header ? `<s:Header>${header}</s:Header>` : ''}<s:Body>${body}</s:Body></s:Envelope>`;
}

export function faultEnvelope(f: SoapFault): string {
  // Subcodes nest: <Subcode><Value>a</Value><Subcode><Value>b</Value></Subcode></Subcode>.
  const subcodes = f.subcodes.reduceRight((inner, value) => `<s:Subcode><s:Value>${escapeXml(value)}</s:Value>${inner}</s:Subcode>`, '');
  return envelope(
    `<s:Fault><s:Code><s:Value>s:${f.code}</s:Value>${subcodes}</s:Code>` +
      `<s:Reason><s:Text xml:lang="en">${escapeXml(f.reason)}</s:Text></s:Reason></s:Fault>`,
  );
}

/** A WS-Security UsernameToken from the SOAP header (UsernameToken Profile 1.0). */
export interface UsernameToken {
  user: string;
  password: string;
  kind: 'text' | 'digest';
  /** Digest only: the nonce's bytes and the Created time as sent. */
  nonce: Buffer;
  created: string;
}

export type TokenResult = { kind: 'none' } | { kind: 'token'; token: UsernameToken } | { kind: 'invalid'; reason: string };

export function usernameToken(header: XmlElement | undefined): TokenResult {
  const token = child(child(header, NS.wsse, 'Security'), NS.wsse, 'UsernameToken');
  if (!token) return { kind: 'none' };
  const user = child(token, NS.wsse, 'Username')?.text;
  const password = child(token, NS.wsse, 'Password');
  if (!user || !password) return { kind: 'invalid', reason: 'UsernameToken without Username or Password' };
  // Type is optional and defaults to PasswordText.
  const type = password.attributes.Type ?? PASSWORD_TEXT;
  if (type !== PASSWORD_TEXT && type !== PASSWORD_DIGEST) return { kind: 'invalid', reason: 'unknown password type' };
  const nonceText = child(token, NS.wsse, 'Nonce')?.text ?? '';
  const created = child(token, NS.wsu, 'Created')?.text ?? '';
  return {
    kind: 'token',
    token: { user, password: password.text, kind: type === PASSWORD_TEXT ? 'text' : 'digest', nonce: Buffer.from(nonceText, 'base64'), created },
  };
}
