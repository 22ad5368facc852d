import { fault } from '../../formats/soap/envelope.js';
import { NS } from '../../formats/soap/namespaces.js';
import { escapeXml as x } from '../../formats/soap/xml.js';
import { scopesOf, type OperationContext, type Operation } from './facts.js';
import { DEVICE_PATH, MEDIA_PATH } from './routes.js';

// The ONVIF device service (ver10, /onvif/device_service): what Profile S clients and the recorders
// named in issue 23 ask before they accept a camera. Read-only: picamd's settings change on its page.
// Element order follows the ONVIF schema (onvif.xsd, devicemgmt.wsdl), which strict clients check.


const pad = (n: number) => String(n);

/** The device's XAddr for the host the client used. */
export function serviceUrl(ctx: Pick<OperationContext, 'facts' | 'host'>, path: string): string {
  return `${ctx.facts.secure() ? 'https' : 'http'}://${ctx.host}${path}`;
}

function dateTime(): Operation {
  return {
    access: 'public',
    run: ({ facts }) => {
      const d = facts.now();
      // picamd keeps the system in UTC and its clock set by NTP (systemd-timesyncd on the image).
      return (
        '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>' +
        '<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>' +
        '<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>' +
        `<tt:UTCDateTime><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>` +
        `<tt:Time><tt:Hour>${pad(d.getUTCHours())}</tt:Hour><tt:Minute>${pad(d.getUTCMinutes())}</tt:Minute><tt:Second>${pad(d.getUTCSeconds())}</tt:Second></tt:Time></tt:UTCDateTime>` +
        '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
      );
    },
  };
}

function deviceCapabilities(ctx: OperationContext): string {
  return (
    `<tt:Device><tt:XAddr>${x(serviceUrl(ctx, DEVICE_PATH))}</tt:XAddr>` +
    '<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration><tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>' +
    '<tt:System><tt:DiscoveryResolve>true</tt:DiscoveryResolve><tt:DiscoveryBye>true</tt:DiscoveryBye><tt:RemoteDiscovery>false</tt:RemoteDiscovery>' +
    '<tt:SystemBackup>false</tt:SystemBackup><tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>' +
    '<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>0</tt:Minor></tt:SupportedVersions></tt:System>' +
    '<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2><tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false</tt:AccessPolicyConfig>' +
    '<tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken><tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security></tt:Device>'
  );
}

function mediaCapabilities(ctx: OperationContext): string {
  const rtsp = ctx.facts.rtspPort() > 0;
  return (
    `<tt:Media><tt:XAddr>${x(serviceUrl(ctx, MEDIA_PATH))}</tt:XAddr><tt:StreamingCapabilities>` +
    `<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>${rtsp}</tt:RTP_TCP><tt:RTP_RTSP_TCP>${rtsp}</tt:RTP_RTSP_TCP>` +
    '</tt:StreamingCapabilities></tt:Media>'
  );
}

const CATEGORIES = new Set(['All', 'Device', 'Media']);

function capabilities(): Operation {
  return {
    access: 'user',
    run: (ctx) => {
      const asked = ctx.params.children.filter((c) => c.name === 'Category').map((c) => c.text);
      const wanted = asked.length === 0 ? ['All'] : asked;
      const unknown = wanted.find((c) => !CATEGORIES.has(c));
      if (unknown) return fault('Receiver', ['ter:ActionNotSupported', 'ter:NoSuchService'], `picamd offers no ${unknown} service.`);
      const all = wanted.includes('All');
      return (
        '<tds:GetCapabilitiesResponse><tds:Capabilities>' +
        (all || wanted.includes('Device') ? deviceCapabilities(ctx) : '') +
        (all || wanted.includes('Media') ? mediaCapabilities(ctx) : '') +
        '</tds:Capabilities></tds:GetCapabilitiesResponse>'
      );
    },
  };
}

function services(): Operation {
  const service = (ctx: OperationContext, ns: string, path: string, minor: number) =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${x(serviceUrl(ctx, path))}</tds:XAddr>` +
    `<tds:Version><tt:Major>2</tt:Major><tt:Minor>${minor}</tt:Minor></tds:Version></tds:Service>`;
  return {
    access: 'user',
    run: (ctx) => `<tds:GetServicesResponse>${service(ctx, NS.tds, DEVICE_PATH, 5)}${service(ctx, NS.trt, MEDIA_PATH, 5)}</tds:GetServicesResponse>`,
  };
}

function serviceCapabilities(): Operation {
  return {
    access: 'user',
    run: () =>
      '<tds:GetServiceCapabilitiesResponse><tds:Capabilities>' +
      '<tds:Network IPFilter="false" ZeroConfiguration="false" IPVersion6="false" DynDNS="false" NTP="0" HostnameFromDHCP="false"/>' +
      '<tds:Security TLS1.0="false" TLS1.1="false" TLS1.2="false" OnboardKeyGeneration="false" AccessPolicyConfig="false" DefaultAccessPolicy="false" Dot1X="false" RemoteUserHandling="false" X.509Token="false" SAMLToken="false" KerberosToken="false" UsernameToken="true" HttpDigest="true" RELToken="false"/>' +
      '<tds:System DiscoveryResolve="true" DiscoveryBye="true" RemoteDiscovery="false" SystemBackup="false" SystemLogging="false" FirmwareUpgrade="false"/>' +
      '</tds:Capabilities></tds:GetServiceCapabilitiesResponse>',
  };
}

function scopes(): Operation {
  return {
    access: 'user',
    run: ({ facts }) =>
      `<tds:GetScopesResponse>${scopesOf(facts)
        .map((s) => `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${x(s)}</tt:ScopeItem></tds:Scopes>`)
        .join('')}</tds:GetScopesResponse>`,
  };
}

function deviceInformation(): Operation {
  return {
    access: 'user',
    run: ({ facts }) =>
      '<tds:GetDeviceInformationResponse><tds:Manufacturer>picamd</tds:Manufacturer>' +
      `<tds:Model>${x(facts.model())}</tds:Model><tds:FirmwareVersion>${x(facts.firmware)}</tds:FirmwareVersion>` +
      `<tds:SerialNumber>${x(facts.serial())}</tds:SerialNumber><tds:HardwareId>${x(facts.hardwareId())}</tds:HardwareId>` +
      '</tds:GetDeviceInformationResponse>',
  };
}

function networkInterfaces(): Operation {
  return {
    access: 'user',
    run: ({ facts }) =>
      '<tds:GetNetworkInterfacesResponse>' +
      facts
        .interfaces()
        .map(
          (n) =>
            `<tds:NetworkInterfaces token="${x(n.name)}"><tt:Enabled>true</tt:Enabled>` +
            `<tt:Info><tt:Name>${x(n.name)}</tt:Name><tt:HwAddress>${x(n.mac)}</tt:HwAddress></tt:Info>` +
            `<tt:IPv4><tt:Enabled>${n.ipv4.length > 0}</tt:Enabled><tt:Config>` +
            // NetworkManager gives the address on the image; picamd cannot tell DHCP from a fixed one.
            n.ipv4.map((a) => `<tt:FromDHCP><tt:Address>${x(a.address)}</tt:Address><tt:PrefixLength>${a.prefixLength}</tt:PrefixLength></tt:FromDHCP>`).slice(0, 1).join('') +
            '<tt:DHCP>true</tt:DHCP></tt:Config></tt:IPv4></tds:NetworkInterfaces>',
        )
        .join('') +
      '</tds:GetNetworkInterfacesResponse>',
  };
}

function hostname(): Operation {
  return {
    access: 'user',
    run: ({ facts }) =>
      `<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>${x(facts.hostname())}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>`,
  };
}

function networkProtocols(): Operation {
  const protocol = (name: string, port: number) =>
    `<tds:NetworkProtocols><tt:Name>${name}</tt:Name><tt:Enabled>${port > 0}</tt:Enabled><tt:Port>${port}</tt:Port></tds:NetworkProtocols>`;
  return {
    access: 'user',
    run: ({ facts }) =>
      '<tds:GetNetworkProtocolsResponse>' +
      protocol(facts.secure() ? 'HTTPS' : 'HTTP', facts.httpPort()) +
      protocol('RTSP', facts.rtspPort()) +
      '</tds:GetNetworkProtocolsResponse>',
  };
}

function discoveryMode(): Operation {
  return {
    access: 'user',
    run: ({ facts }) =>
      `<tds:GetDiscoveryModeResponse><tds:DiscoveryMode>${facts.discoverable() ? 'Discoverable' : 'NonDiscoverable'}</tds:DiscoveryMode></tds:GetDiscoveryModeResponse>`,
  };
}

function users(): Operation {
  return {
    access: 'owner',
    run: ({ facts }) =>
      '<tds:GetUsersResponse>' +
      facts
        .users()
        .map((u) => `<tds:User><tt:Username>${x(u.name)}</tt:Username><tt:UserLevel>${u.role === 'owner' ? 'Administrator' : 'User'}</tt:UserLevel></tds:User>`)
        .join('') +
      '</tds:GetUsersResponse>',
  };
}

function wsdlUrl(): Operation {
  return { access: 'user', run: () => '<tds:GetWsdlUrlResponse><tds:WsdlUrl>http://www.onvif.org/Documents/Specifications.aspx</tds:WsdlUrl></tds:GetWsdlUrlResponse>' };
}

/** The device service's operations by local name (namespace tds). */
export const DEVICE_OPERATIONS: Readonly<Record<string, Operation>> = {
  GetSystemDateAndTime: dateTime(),
  GetCapabilities: capabilities(),
  GetServices: services(),
  GetServiceCapabilities: serviceCapabilities(),
  GetDeviceInformation: deviceInformation(),
  GetScopes: scopes(),
  GetNetworkInterfaces: networkInterfaces(),
  GetHostname: hostname(),
  GetNetworkProtocols: networkProtocols(),
  GetDiscoveryMode: discoveryMode(),
  GetUsers: users(),
  GetWsdlUrl: wsdlUrl(),
};

