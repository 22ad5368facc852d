// The namespaces of SOAP 1.2, WS-Security, WS-Addressing, WS-Discovery and ONVIF that picamd reads
// and writes, with the prefixes its answers use.

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  /** WS-Addressing as WS-Discovery 1.0 (the version ONVIF uses) names it. */
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsd: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  ter: 'http://www.onvif.org/ver10/error',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
} as const;

/** The xmlns declarations every answer carries, so bodies may use any of these prefixes. */
export const ENVELOPE_XMLNS = Object.entries({ s: NS.soap, tds: NS.tds, trt: NS.trt, tt: NS.tt, ter: NS.ter })
  .map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`)
  .join(' ');

/** UsernameToken password types (WS-Security UsernameToken Profile 1.0). */
export const PASSWORD_TEXT = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';
export const PASSWORD_DIGEST = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
