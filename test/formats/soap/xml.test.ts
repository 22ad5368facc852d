import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEnvelope, usernameToken, faultEnvelope, fault } from '../../../src/formats/soap/envelope.js';
import { NS, PASSWORD_DIGEST } from '../../../src/formats/soap/namespaces.js';
import { parseXml, resolveQName } from '../../../src/formats/soap/xml.js';

const soap = (body: string, header = '') =>
  `<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="${NS.soap}"><env:Header>${header}</env:Header><env:Body>${body}</env:Body></env:Envelope>`;

test('namespaces are resolved whatever the prefixes; text with entities and CDATA; QNames in text', () => {
  const a = parseEnvelope(soap(`<GetProfiles xmlns="${NS.trt}"/>`));
  const b = parseEnvelope(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="${NS.soap}" xmlns:x="${NS.trt}"><SOAP-ENV:Body><x:GetProfiles/></SOAP-ENV:Body></SOAP-ENV:Envelope>`);
  for (const r of [a, b]) {
    assert.ok(r.ok);
    assert.deepEqual([r.request.operation.ns, r.request.operation.name], [NS.trt, 'GetProfiles']);
  }
  const parsed = parseXml('<a xmlns:p="urn:p"><b>x &amp; y <![CDATA[<z>]]></b><t>p:Q</t></a>');
  assert.ok(parsed.ok);
  assert.equal(parsed.root.children[0]!.text, 'x & y <z>');
  assert.deepEqual(resolveQName(parsed.root.children[1]!, 'p:Q'), { ns: 'urn:p', name: 'Q' });
  assert.equal(resolveQName(parsed.root.children[1]!, 'nope:Q'), undefined);
});

test('hostile XML is refused before it costs anything: DOCTYPE, entities, nesting, element floods, bad bytes', () => {
  const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>';
  const external = '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>';
  const cases: Array<[string | Buffer, RegExp]> = [
    [laughs, /DOCTYPE/],
    [external, /DOCTYPE/],
    ['<a>&undefined;</a>', /entity/i],
    ['<a>' + '<b>'.repeat(100) + '</b>'.repeat(100) + '</a>', /deeper/],
    ['<a>' + '<b/>'.repeat(5000) + '</a>', /elements/],
    ['<a>' + 'x'.repeat(40_000) + '</a>', /text/],
    ['<a/><b/>', /root/],
    ['<a>', /./],
    ['<p:a/>', /prefix/i],
    ['<?evil x?><a/>', /processing/],
    [Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]), /UTF-8/],
    ['', /./],
  ];
  for (const [input, reason] of cases) {
    const r = parseXml(input);
    assert.equal(r.ok, false, String(input).slice(0, 60));
    assert.match((r as { reason: string }).reason, reason, String(input).slice(0, 60));
  }
});

test('envelopes: SOAP 1.1 gets VersionMismatch, an empty body or another root a Sender fault', () => {
  const v11 = parseEnvelope(`<s:Envelope xmlns:s="${NS.soap11}"><s:Body><x/></s:Body></s:Envelope>`);
  assert.ok(!v11.ok && v11.fault.code === 'VersionMismatch');
  const empty = parseEnvelope(soap(''));
  assert.ok(!empty.ok && empty.fault.code === 'Sender' && empty.fault.status === 400);
  const other = parseEnvelope('<html/>');
  assert.ok(!other.ok && other.fault.subcodes[0] === 'ter:WellFormed');
  const text = faultEnvelope(fault('Receiver', ['ter:ActionNotSupported'], 'no <such> thing'));
  const back = parseXml(text);
  assert.ok(back.ok, 'a fault is well-formed XML');
  assert.match(text, /<s:Value>s:Receiver<\/s:Value><s:Subcode><s:Value>ter:ActionNotSupported<\/s:Value><\/s:Subcode>/);
  assert.match(text, /no &lt;such&gt; thing/);
});

test('UsernameToken: text and digest read; a token without a password is invalid; none is none', () => {
  const wsse = (password: string) =>
    `<Security xmlns="${NS.wsse}"><UsernameToken><Username>admin</Username>${password}<Nonce>AAECAw==</Nonce><Created xmlns="${NS.wsu}">2026-12-07T00:00:00Z</Created></UsernameToken></Security>`;
  const header = (h: string) => {
    const r = parseEnvelope(soap('<x/>', h));
    assert.ok(r.ok);
    return r.request.header;
  };
  const digest = usernameToken(header(wsse(`<Password Type="${PASSWORD_DIGEST}">abc=</Password>`)));
  assert.ok(digest.kind === 'token');
  assert.equal(digest.token.kind, 'digest');
  assert.deepEqual([...digest.token.nonce], [0, 1, 2, 3]);
  assert.equal(digest.token.created, '2026-12-07T00:00:00Z');
  const text = usernameToken(header(wsse('<Password>pw</Password>')));
  assert.ok(text.kind === 'token' && text.token.kind === 'text' && text.token.password === 'pw');
  assert.equal(usernameToken(header(wsse(''))).kind, 'invalid');
  assert.equal(usernameToken(header(wsse('<Password Type="urn:other">x</Password>'))).kind, 'invalid');
  assert.equal(usernameToken(header('')).kind, 'none');
});
