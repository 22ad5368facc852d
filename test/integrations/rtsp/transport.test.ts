import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseTransport, transportReply } from '../../../src/integrations/rtsp/transport.js';

test('transports: interleaved TCP and UDP unicast, in the client\'s order; multicast and odd offers skipped', () => {
  assert.deepEqual(chooseTransport('RTP/AVP/TCP;unicast;interleaved=0-1'), { kind: 'tcp', rtpChannel: 0, rtcpChannel: 1 });
  assert.deepEqual(chooseTransport('RTP/AVP/TCP;unicast'), { kind: 'tcp', rtpChannel: 0, rtcpChannel: 1 });
  assert.deepEqual(chooseTransport('RTP/AVP;unicast;client_port=5000-5001'), { kind: 'udp', rtpPort: 5000, rtcpPort: 5001 });
  assert.deepEqual(chooseTransport('RTP/AVP/UDP;unicast;client_port=6970'), { kind: 'udp', rtpPort: 6970, rtcpPort: 6971 });
  // GStreamer offers several; the first usable wins.
  assert.deepEqual(chooseTransport('RTP/AVP;multicast;port=5000-5001,RTP/AVP;unicast;client_port=7000-7001,RTP/AVP/TCP;unicast;interleaved=0-1'), { kind: 'udp', rtpPort: 7000, rtcpPort: 7001 });
  // A destination elsewhere is ignored (the stream goes to the client's own address).
  assert.deepEqual(chooseTransport('RTP/AVP;unicast;destination=10.9.9.9;client_port=7000-7001'), { kind: 'udp', rtpPort: 7000, rtcpPort: 7001 });
  for (const bad of [undefined, '', 'RTP/AVP;multicast', 'RTP/AVP;unicast;client_port=80-81', 'RTP/AVP;unicast', 'RAW/RAW/UDP;unicast', 'RTP/AVP/TCP;interleaved=300-301', 'RTP/AVP/TCP;interleaved=2-2']) {
    assert.ok('error' in chooseTransport(bad), String(bad));
  }
  assert.equal(transportReply({ kind: 'tcp', rtpChannel: 2, rtcpChannel: 3 }, 0xab), 'RTP/AVP/TCP;unicast;interleaved=2-3;ssrc=000000AB');
  assert.equal(transportReply({ kind: 'udp', rtpPort: 5000, rtcpPort: 5001 }, 1, { rtp: 6000, rtcp: 6001 }), 'RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001;ssrc=00000001');
});

