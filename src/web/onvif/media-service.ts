import { fault } from '../../formats/soap/envelope.js';
import { NS } from '../../formats/soap/namespaces.js';
import { child, escapeXml as x, type XmlElement } from '../../formats/soap/xml.js';
import type { Operation, OperationContext, VideoFacts } from './facts.js';
import { RTSP_PATH } from './routes.js';

// The ONVIF media service (ver10, /onvif/media_service): one profile, for what the camera sends now
// (MJPEG: a JPEG encoder configuration; H.264: an H264 one), its source, and the URIs to watch it.
// The camera sends one codec at a time, so there is one profile; its configurations change with the
// settings and are read-only here.

export const PROFILE_TOKEN = 'main';
const SOURCE_TOKEN = 'camera';
const SOURCE_CONFIG_TOKEN = 'camera_source';
const ENCODER_TOKEN = 'camera_encoder';

function sourceConfiguration(v: VideoFacts, element: string): string {
  return (
    `<${element} token="${SOURCE_CONFIG_TOKEN}"><tt:Name>camera</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:SourceToken>${SOURCE_TOKEN}</tt:SourceToken><tt:Bounds x="0" y="0" width="${v.width}" height="${v.height}"/></${element}>`
  );
}

function encoderConfiguration(v: VideoFacts, element: string): string {
  const h264 = v.codec === 'h264';
  // GovLength in pictures: the keyframe interval at the camera's rate.
  const gov = Math.max(1, Math.round((v.keyframeIntervalMs / 1000) * v.framerate));
  const profile = { baseline: 'Baseline', main: 'Main', high: 'High' }[v.h264Profile];
  return (
    `<${element} token="${ENCODER_TOKEN}"><tt:Name>${h264 ? 'H.264' : 'MJPEG'}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>${h264 ? 'H264' : 'JPEG'}</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${v.width}</tt:Width><tt:Height>${v.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>${h264 ? 0 : v.quality}</tt:Quality>` +
    `<tt:RateControl><tt:FrameRateLimit>${v.framerate}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>${v.bitrateKbps ?? 0}</tt:BitrateLimit></tt:RateControl>` +
    (h264 ? `<tt:H264><tt:GovLength>${gov}</tt:GovLength><tt:H264Profile>${profile}</tt:H264Profile></tt:H264>` : '') +
    '<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>' +
    '<tt:Port>0</tt:Port><tt:TTL>0</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>' +
    `<tt:SessionTimeout>PT60S</tt:SessionTimeout></${element}>`
  );
}

function profile(v: VideoFacts, element: string): string {
  return (
    `<${element} token="${PROFILE_TOKEN}" fixed="true"><tt:Name>main</tt:Name>` +
    sourceConfiguration(v, 'tt:VideoSourceConfiguration') +
    encoderConfiguration(v, 'tt:VideoEncoderConfiguration') +
    `</${element}>`
  );
}

const param = (ctx: OperationContext, name: string): XmlElement | undefined => child(ctx.params, NS.trt, name);

/** Undefined when the request names our token (or none, where the token is optional); else the fault. */
function tokenFault(ctx: OperationContext, name: string, token: string, subcode: string) {
  const given = param(ctx, name)?.text;
  if (given === undefined || given === token) return undefined;
  return fault('Sender', ['ter:InvalidArgVal', subcode], `No ${name} ${JSON.stringify(given.slice(0, 64))}; picamd has ${JSON.stringify(token)}.`);
}

function read(run: (ctx: OperationContext, v: VideoFacts) => string | ReturnType<typeof fault>, access: Operation['access'] = 'user'): Operation {
  return { access, run: (ctx) => run(ctx, ctx.facts.video()) };
}

/** The host without its port, for a URI on another port. */
export function hostOnly(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function mediaUri(uri: string): string {
  return `<trt:MediaUri><tt:Uri>${x(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>`;
}

function streamUri(): Operation {
  return read((ctx) => {
    const bad = tokenFault(ctx, 'ProfileToken', PROFILE_TOKEN, 'ter:NoProfile');
    if (bad) return bad;
    const setup = param(ctx, 'StreamSetup');
    const stream = child(setup, NS.tt, 'Stream')?.text;
    const protocol = child(child(setup, NS.tt, 'Transport'), NS.tt, 'Protocol')?.text;
    if (stream === 'RTP-Multicast') return fault('Sender', ['ter:InvalidArgVal', 'ter:InvalidStreamSetup'], 'picamd streams unicast only.');
    if (protocol === 'HTTP') return fault('Sender', ['ter:InvalidArgVal', 'ter:InvalidStreamSetup'], 'RTSP over HTTP is not offered; ask for RTSP, TCP or UDP.');
    const port = ctx.facts.rtspPort();
    if (port === 0) return fault('Receiver', ['ter:Action', 'ter:StreamingNotSupported'], 'RTSP is off on this camera (rtsp.port is 0): turn it on under Settings → RTSP / ONVIF.');
    return `<trt:GetStreamUriResponse>${mediaUri(`rtsp://${hostOnly(ctx.host)}${port === 554 ? '' : `:${port}`}${RTSP_PATH}`)}</trt:GetStreamUriResponse>`;
  }, 'media');
}

function snapshotUri(): Operation {
  return read((ctx, v) => {
    const bad = tokenFault(ctx, 'ProfileToken', PROFILE_TOKEN, 'ter:NoProfile');
    if (bad) return bad;
    if (v.codec === 'h264') {
      return fault('Receiver', ['ter:Action', 'ter:NoSnapshot'], 'In H.264 mode /snapshot.jpg serves no picture (503 camera-in-h264-mode); take one from the RTSP stream, or switch the camera to MJPEG.');
    }
    return `<trt:GetSnapshotUriResponse>${mediaUri(`${ctx.facts.secure() ? 'https' : 'http'}://${ctx.host}/snapshot.jpg`)}</trt:GetSnapshotUriResponse>`;
  }, 'media');
}

function encoderOptions(v: VideoFacts): string {
  const resolution = `<tt:ResolutionsAvailable><tt:Width>${v.width}</tt:Width><tt:Height>${v.height}</tt:Height></tt:ResolutionsAvailable>`;
  const range = (name: string, min: number, max: number) => `<tt:${name}><tt:Min>${min}</tt:Min><tt:Max>${max}</tt:Max></tt:${name}>`;
  const rate = range('FrameRateRange', 1, 120) + range('EncodingIntervalRange', 1, 1);
  const profile = { baseline: 'Baseline', main: 'Main', high: 'High' }[v.h264Profile];
  return (
    '<trt:Options>' +
    range('QualityRange', 1, 100) +
    (v.codec === 'mjpeg'
      ? `<tt:JPEG>${resolution}${rate}</tt:JPEG>`
      : `<tt:H264>${resolution}${range('GovLengthRange', 1, 1200)}${rate}<tt:H264ProfilesSupported>${profile}</tt:H264ProfilesSupported></tt:H264>`) +
    '</trt:Options>'
  );
}

/** The media service's operations by local name (namespace trt). */
export const MEDIA_OPERATIONS: Readonly<Record<string, Operation>> = {
  GetServiceCapabilities: read(
    () =>
      '<trt:GetServiceCapabilitiesResponse><trt:Capabilities SnapshotUri="true" Rotation="false" VideoSourceMode="false" OSD="false">' +
      '<trt:ProfileCapabilities MaximumNumberOfProfiles="1"/>' +
      '<trt:StreamingCapabilities RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true" NonAggregateControl="false" NoRTSPStreaming="false"/>' +
      '</trt:Capabilities></trt:GetServiceCapabilitiesResponse>',
  ),
  GetProfiles: read((_ctx, v) => `<trt:GetProfilesResponse>${profile(v, 'trt:Profiles')}</trt:GetProfilesResponse>`),
  GetProfile: read((ctx, v) => tokenFault(ctx, 'ProfileToken', PROFILE_TOKEN, 'ter:NoProfile') ?? `<trt:GetProfileResponse>${profile(v, 'trt:Profile')}</trt:GetProfileResponse>`),
  GetVideoSources: read(
    (_ctx, v) =>
      `<trt:GetVideoSourcesResponse><trt:VideoSources token="${SOURCE_TOKEN}"><tt:Framerate>${v.framerate}</tt:Framerate>` +
      `<tt:Resolution><tt:Width>${v.width}</tt:Width><tt:Height>${v.height}</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>`,
  ),
  GetVideoSourceConfigurations: read(
    (_ctx, v) => `<trt:GetVideoSourceConfigurationsResponse>${sourceConfiguration(v, 'trt:Configurations')}</trt:GetVideoSourceConfigurationsResponse>`,
  ),
  GetVideoSourceConfiguration: read(
    (ctx, v) =>
      tokenFault(ctx, 'ConfigurationToken', SOURCE_CONFIG_TOKEN, 'ter:NoConfig') ??
      `<trt:GetVideoSourceConfigurationResponse>${sourceConfiguration(v, 'trt:Configuration')}</trt:GetVideoSourceConfigurationResponse>`,
  ),
  GetVideoEncoderConfigurations: read(
    (_ctx, v) => `<trt:GetVideoEncoderConfigurationsResponse>${encoderConfiguration(v, 'trt:Configurations')}</trt:GetVideoEncoderConfigurationsResponse>`,
  ),
  GetVideoEncoderConfiguration: read(
    (ctx, v) =>
      tokenFault(ctx, 'ConfigurationToken', ENCODER_TOKEN, 'ter:NoConfig') ??
      `<trt:GetVideoEncoderConfigurationResponse>${encoderConfiguration(v, 'trt:Configuration')}</trt:GetVideoEncoderConfigurationResponse>`,
  ),
  GetVideoEncoderConfigurationOptions: read(
    (ctx, v) =>
      tokenFault(ctx, 'ConfigurationToken', ENCODER_TOKEN, 'ter:NoConfig') ??
      tokenFault(ctx, 'ProfileToken', PROFILE_TOKEN, 'ter:NoProfile') ??
      `<trt:GetVideoEncoderConfigurationOptionsResponse>${encoderOptions(v)}</trt:GetVideoEncoderConfigurationOptionsResponse>`,
  ),
  GetStreamUri: streamUri(),
  GetSnapshotUri: snapshotUri(),
};
