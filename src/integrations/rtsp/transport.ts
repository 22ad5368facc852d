// The Transport header of SETUP (RFC 2326 12.39): the client lists the transports it would take, in
// order of preference; the server picks the first it offers and says so in its answer. picamd offers
// RTP over the RTSP connection (interleaved) and RTP over UDP unicast, to the client's own address
// (a `destination` elsewhere is ignored, so nobody can aim the stream at a third party). Multicast is
// not offered. Pure.

export type TransportChoice =
  | { kind: 'tcp'; rtpChannel: number; rtcpChannel: number }
  | { kind: 'udp'; rtpPort: number; rtcpPort: number };

/** The first transport of the header picamd can serve, or why none. */
export function chooseTransport(header: string | undefined): TransportChoice | { error: string } {
  if (!header) return { error: 'no Transport header' };
  for (const spec of header.split(',')) {
    const [protocol = '', ...params] = spec.split(';').map((p) => p.trim());
    const upper = protocol.toUpperCase();
    const fields = new Map<string, string>();
    for (const param of params) {
      const eq = param.indexOf('=');
      fields.set((eq < 0 ? param : param.slice(0, eq)).toLowerCase(), eq < 0 ? '' : param.slice(eq + 1));
    }
    if (fields.has('multicast')) continue;
    if (upper === 'RTP/AVP/TCP') {
      const channels: [number, number] | undefined = fields.has('interleaved') ? pair(fields.get('interleaved')!, 255) : [0, 1];
      if (channels && channels[0] !== channels[1]) return { kind: 'tcp', rtpChannel: channels[0], rtcpChannel: channels[1] };
      continue;
    }
    if (upper === 'RTP/AVP' || upper === 'RTP/AVP/UDP') {
      const ports = pair(fields.get('client_port') ?? '', 65535);
      // Privileged ports are no RTP receiver's; port 0 is nobody's.
      if (ports && ports[0] >= 1024 && ports[1] >= 1024 && ports[0] !== ports[1]) return { kind: 'udp', rtpPort: ports[0], rtcpPort: ports[1] };
    }
  }
  return { error: 'none of the offered transports is RTP/AVP/TCP (interleaved) or RTP/AVP unicast with client ports' };
}

/** "a-b", or "a" meaning a and a+1. */
function pair(text: string, max: number): [number, number] | undefined {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const first = Number(m[1]);
  const second = m[2] === undefined ? first + 1 : Number(m[2]);
  return first <= max && second <= max ? [first, second] : undefined;
}

/** The Transport header of the answer. */
export function transportReply(choice: TransportChoice, ssrc: number, serverPorts?: { rtp: number; rtcp: number }): string {
  const ssrcHex = (ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0');
  if (choice.kind === 'tcp') return `RTP/AVP/TCP;unicast;interleaved=${choice.rtpChannel}-${choice.rtcpChannel};ssrc=${ssrcHex}`;
  const server = serverPorts ? `;server_port=${serverPorts.rtp}-${serverPorts.rtcp}` : '';
  return `RTP/AVP;unicast;client_port=${choice.rtpPort}-${choice.rtcpPort}${server};ssrc=${ssrcHex}`;
}
