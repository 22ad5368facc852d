import { NS } from '../soap/namespaces.js';
import { child, escapeXml as x, parseXml, resolveQName } from '../soap/xml.js';

// WS-Discovery 1.0 (2005/04, the version ONVIF Core uses) as a Network Video Transmitter speaks it:
// Probe and Resolve read, ProbeMatches, ResolveMatches, Hello and Bye written. Pure: the caller
// brings the message ids, the sequence numbers and the device's description.

export const DISCOVERY_PORT = 3702;
export const DISCOVERY_GROUP = '239.255.255.250';
const TO_DISCOVERY = 'urn:schemas-xmlsoap-org:ws:2005:04:discovery';
const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';
const ACTION = 'http://schemas.xmlsoap.org/ws/2005/04/discovery/';
const RFC3986 = 'http://schemas.xmlsoap.org/ws/2005/04/discovery/rfc3986';
const STRCMP0 = 'http://schemas.xmlsoap.org/ws/2005/04/discovery/strcmp0';

/** What the device says of itself. */
export interface Target {
  /** urn:uuid:…, the same across restarts. */
  address: string;
  scopes: ReadonlyArray<string>;
  /** The device service's URLs, one per address. */
  xaddrs: ReadonlyArray<string>;
  metadataVersion: number;
}

/** Sequencing of the device's announcements (WS-Discovery 1.0, AppSequence). */
export interface Sequence {
  instanceId: number;
  messageNumber: number;
}

export type DiscoveryMessage =
  | { kind: 'probe'; messageId: string; types: Array<{ ns: string; name: string }>; scopes: string[]; matchBy: string }
  | { kind: 'resolve'; messageId: string; address: string }
  | { kind: 'other' };

/** The types an ONVIF device answers to. */
const OUR_TYPES = [
  { ns: NS.dn, name: 'NetworkVideoTransmitter' },
  { ns: NS.tds, name: 'Device' },
];

/** A datagram read; undefined when it is not a well-formed WS-Discovery message worth an answer. */
export function parseDiscovery(datagram: Uint8Array): DiscoveryMessage | undefined {
  const parsed = parseXml(datagram, { maxDepth: 12, maxElements: 64, maxText: 4096 });
  if (!parsed.ok) return undefined;
  const root = parsed.root;
  if (root.ns !== NS.soap || root.name !== 'Envelope') return undefined;
  const header = child(root, NS.soap, 'Header');
  const body = child(root, NS.soap, 'Body');
  const messageId = child(header, NS.wsa, 'MessageID')?.text;
  const action = child(header, NS.wsa, 'Action')?.text;
  if (!messageId || messageId.length > 200 || !body) return undefined;
  const probe = child(body, NS.wsd, 'Probe');
  if (probe && (action === undefined || action === `${ACTION}Probe`)) {
    const typesElement = child(probe, NS.wsd, 'Types');
    const types: Array<{ ns: string; name: string }> = [];
    for (const qname of words(typesElement?.text)) {
      const type = resolveQName(typesElement!, qname);
      // A type whose prefix is unbound matches nothing: an answer would be a guess.
      if (!type) return { kind: 'probe', messageId, types: [{ ns: '', name: qname }], scopes: [], matchBy: RFC3986 };
      types.push(type);
    }
    const scopesElement = child(probe, NS.wsd, 'Scopes');
    return { kind: 'probe', messageId, types, scopes: words(scopesElement?.text), matchBy: scopesElement?.attributes.MatchBy ?? RFC3986 };
  }
  const resolve = child(body, NS.wsd, 'Resolve');
  if (resolve && (action === undefined || action === `${ACTION}Resolve`)) {
    const address = child(child(resolve, NS.wsa, 'EndpointReference'), NS.wsa, 'Address')?.text;
    return address ? { kind: 'resolve', messageId, address } : undefined;
  }
  return { kind: 'other' };
}

function words(text: string | undefined): string[] {
  return text ? text.split(/\s+/).filter(Boolean) : [];
}

/** Whether a Probe asks for this device: every type one of ours, every scope matching one of ours. */
export function probeMatches(probe: Extract<DiscoveryMessage, { kind: 'probe' }>, target: Target): boolean {
  const typesOk = probe.types.every((t) => OUR_TYPES.some((o) => o.ns === t.ns && o.name === t.name));
  return typesOk && probe.scopes.every((s) => target.scopes.some((ours) => scopeMatches(s, ours, probe.matchBy)));
}

/** WS-Discovery 1.0 5.1: rfc3986 compares scheme and authority, then the path segment by segment as a prefix. */
export function scopeMatches(asked: string, ours: string, matchBy: string): boolean {
  if (matchBy === STRCMP0) return asked === ours;
  if (matchBy !== RFC3986) return false;
  const split = (uri: string) => {
    const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/i.exec(uri);
    return m ? { scheme: m[1]!.toLowerCase(), authority: m[2]!.toLowerCase(), segments: m[3]!.split('/').filter(Boolean) } : undefined;
  };
  const a = split(asked);
  const o = split(ours);
  if (!a || !o || a.scheme !== o.scheme || a.authority !== o.authority || a.segments.length > o.segments.length) return false;
  return a.segments.every((segment, i) => segment === o.segments[i]);
}

function message(action: string, messageId: string, to: string, body: string, extraHeader = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope xmlns:s="${NS.soap}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}" xmlns:dn="${NS.dn}" xmlns:tds="${NS.tds}">` +
    `<s:Header><a:MessageID>${x(messageId)}</a:MessageID><a:To>${x(to)}</a:To><a:Action>${ACTION}${action}</a:Action>${extraHeader}</s:Header>` +
    `<s:Body>${body}</s:Body></s:Envelope>`
  );
}

const appSequence = (seq: Sequence) => `<d:AppSequence InstanceId="${seq.instanceId}" MessageNumber="${seq.messageNumber}"/>`;
const endpoint = (target: Target) => `<a:EndpointReference><a:Address>${x(target.address)}</a:Address></a:EndpointReference>`;
const description = (target: Target) =>
  `${endpoint(target)}<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>` +
  `<d:Scopes>${target.scopes.map(x).join(' ')}</d:Scopes><d:XAddrs>${target.xaddrs.map(x).join(' ')}</d:XAddrs>` +
  `<d:MetadataVersion>${target.metadataVersion}</d:MetadataVersion>`;

export function probeMatchesMessage(target: Target, relatesTo: string, messageId: string, seq: Sequence): string {
  return message('ProbeMatches', messageId, ANONYMOUS, `<d:ProbeMatches><d:ProbeMatch>${description(target)}</d:ProbeMatch></d:ProbeMatches>`, `<a:RelatesTo>${x(relatesTo)}</a:RelatesTo>${appSequence(seq)}`);
}

export function resolveMatchesMessage(target: Target, relatesTo: string, messageId: string, seq: Sequence): string {
  return message('ResolveMatches', messageId, ANONYMOUS, `<d:ResolveMatches><d:ResolveMatch>${description(target)}</d:ResolveMatch></d:ResolveMatches>`, `<a:RelatesTo>${x(relatesTo)}</a:RelatesTo>${appSequence(seq)}`);
}

export function helloMessage(target: Target, messageId: string, seq: Sequence): string {
  return message('Hello', messageId, TO_DISCOVERY, `<d:Hello>${description(target)}</d:Hello>`, appSequence(seq));
}

export function byeMessage(target: Target, messageId: string, seq: Sequence): string {
  return message('Bye', messageId, TO_DISCOVERY, `<d:Bye>${endpoint(target)}</d:Bye>`, appSequence(seq));
}
