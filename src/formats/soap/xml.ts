import sax from 'sax';
import { decodeUtf8Strict } from '../utf8.js';

// XML as ONVIF and WS-Discovery send it, read into a small tree of namespace-resolved elements.
// The parser is isaacs' sax (no dependencies, 60 KB, maintained since 2010, what xml2js reads with):
// strict mode, namespaces resolved by the parser, and only the five predefined entities. A DOCTYPE is
// refused outright, so no entity can be declared, let alone expanded (no "billion laughs", no
// external entities); processing instructions other than the XML declaration are refused too. The
// tree is bounded in depth, element count and text, so a small body cannot become a large tree.

export interface XmlElement {
  /** The namespace URI ('' for none). */
  ns: string;
  /** The local name, without prefix. */
  name: string;
  /** Attributes by local name (their namespaces do not matter to anything picamd reads). */
  attributes: Readonly<Record<string, string>>;
  children: XmlElement[];
  /** The element's own text, joined and trimmed. */
  text: string;
  /** The prefixes in scope here, for QNames in text (WS-Discovery's Types). */
  scope: Readonly<Record<string, string>>;
}

export interface XmlLimits {
  maxDepth: number;
  maxElements: number;
  /** Characters of text in all. */
  maxText: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 32, maxElements: 1_000, maxText: 16 * 1024 };

export type XmlResult = { ok: true; root: XmlElement } | { ok: false; reason: string };

/** Parses a whole document; bytes must be UTF-8 (what SOAP 1.2 and WS-Discovery use). */
export function parseXml(input: Uint8Array | string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlResult {
  const text = typeof input === 'string' ? input : decodeUtf8Strict(input);
  if (text === undefined) return { ok: false, reason: 'not UTF-8' };
  // strictEntities (XML's five only, not HTML's) is in sax 1.6 but not in @types/sax.
  const parser = sax.parser(true, { xmlns: true, strictEntities: true, trim: false, position: false } as sax.SAXOptions);
  const stack: Array<{ element: XmlElement; texts: string[] }> = [];
  let root: XmlElement | undefined;
  let elements = 0;
  let textLength = 0;
  let failure: string | undefined;
  const fail = (reason: string) => {
    failure ??= reason;
    throw new Refused(reason);
  };
  parser.ondoctype = () => fail('a DOCTYPE is not accepted');
  parser.onprocessinginstruction = (pi) => {
    if (pi.name !== 'xml') fail('processing instructions are not accepted');
  };
  parser.onopentag = (tag) => {
    const node = tag as sax.QualifiedTag;
    if (++elements > limits.maxElements) fail(`more than ${limits.maxElements} elements`);
    if (stack.length >= limits.maxDepth) fail(`nested deeper than ${limits.maxDepth}`);
    if (root && stack.length === 0) fail('more than one root element');
    const attributes: Record<string, string> = {};
    for (const attr of Object.values(node.attributes)) {
      if (attr.prefix === 'xmlns' || attr.name === 'xmlns') continue;
      attributes[attr.local] = attr.value;
    }
    const element: XmlElement = { ns: node.uri ?? '', name: node.local, attributes, children: [], text: '', scope: node.ns };
    if (node.prefix && !node.uri) fail(`unbound prefix ${node.prefix}`);
    stack.at(-1)?.element.children.push(element);
    root ??= element;
    stack.push({ element, texts: [] });
  };
  const onText = (t: string) => {
    textLength += t.length;
    if (textLength > limits.maxText) fail(`more than ${limits.maxText} characters of text`);
    stack.at(-1)?.texts.push(t);
  };
  parser.ontext = onText;
  parser.oncdata = onText;
  parser.onclosetag = () => {
    const open = stack.pop();
    if (open) open.element.text = open.texts.join('').trim();
  };
  parser.onerror = (err) => {
    failure ??= err.message.split('\n')[0] ?? 'malformed';
    throw new Refused(failure);
  };
  try {
    parser.write(text).close();
  } catch (err) {
    return { ok: false, reason: failure ?? (err instanceof Error ? err.message.split('\n')[0]! : 'malformed') };
  }
  if (!root) return { ok: false, reason: 'no root element' };
  return { ok: true, root };
}

class Refused extends Error {}

/** The first child with this namespace and local name. */
export function child(element: XmlElement | undefined, ns: string, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.ns === ns && c.name === name);
}

/** A QName in text (`dn:NetworkVideoTransmitter`) as namespace and local name, or undefined when its prefix is unbound. */
export function resolveQName(element: XmlElement, qname: string): { ns: string; name: string } | undefined {
  const colon = qname.indexOf(':');
  const prefix = colon < 0 ? '' : qname.slice(0, colon);
  const ns = element.scope[prefix];
  return ns === undefined ? undefined : { ns, name: qname.slice(colon + 1) };
}

/** Text and attribute values for XML output. */
export function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
