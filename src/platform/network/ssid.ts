import { spawn } from 'node:child_process';

// The name of the Wi-Fi network an interface is joined to, from the first of two tools that runs:
// `iwgetid -r <interface>`, else `iw dev <interface> link`.
//
// Why these: Raspberry Pi OS Lite installs wireless-tools (iwgetid) by name on Bookworm and Trixie
// alike (pi-gen stage2/02-net-tweaks/00-packages: "wpasupplicant wireless-tools ..."), and iw as
// raspi-config's Recommends (RPi-Distro/raspi-config debian/control), which pi-gen installs too.
// Both only read, unprivileged, through what picamd's sandbox allows: iwgetid one ioctl
// (SIOCGIWESSID) on an AF_INET socket, answered by cfg80211's wireless-extensions layer
// (CONFIG_CFG80211_WEXT: set in Raspberry Pi's bcm2712_defconfig and Debian's arm64 kernel); iw
// nl80211 over AF_NETLINK (GET_SCAN and GET_STATION need no capability). iw is the fallback for a
// kernel without wireless extensions, and for the virtual Pi's base, which has iw and not
// wireless-tools. Not nmcli: dbus-daemon drops the system-bus connections of DynamicUser= services
// (systemd issue #22737), so NetworkManager cannot be asked from inside picamd's unit.
//
// Their output:
//   iwgetid -r   the ESSID's raw bytes and a newline (wireless-tools iwgetid.c, FORMAT_RAW:
//                printf("%s\n", essid)); an empty line when not associated; nothing and exit
//                status 255 for an interface without wireless extensions
//   iw ... link  "Connected to <bssid> (on <if>)", then "\tSSID: <name>" with every byte that is
//                not printable ASCII, a backslash, or a space at either end written as \xNN (iw
//                util.c print_ssid_escaped()); "Not connected." when not associated

export interface CommandResult {
  /** Exit status; null when a signal (the time limit) ended it. */
  code: number | null;
  stdout: Buffer;
}

/** Runs a program without a shell; rejects only when it cannot be started. */
export type CommandRunner = (command: string, args: readonly string[], options: { timeoutMs: number; env: NodeJS.ProcessEnv }) => Promise<CommandResult>;

/** Output beyond this is dropped (an SSID is at most 32 bytes). */
const MAX_OUTPUT_BYTES = 4096;

/**
 * A child process with a time limit and a cap on what is kept of its output. Past the limit it is
 * killed (SIGKILL) and the answer is given at once, without waiting for its output to close (a
 * grandchild may hold it open).
 */
export const runCommand: CommandRunner = (command, args, { timeoutMs, env }) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'], env });
    const chunks: Buffer[] = [];
    let kept = 0;
    let done = false;
    const finish = (result: CommandResult | Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      if (kept >= MAX_OUTPUT_BYTES) return;
      chunks.push(chunk);
      kept += chunk.length;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      child.stdout!.destroy();
      finish({ code: null, stdout: Buffer.alloc(0) });
    }, timeoutMs);
    child.once('error', (err) => finish(err));
    child.once('close', (code) => finish({ code, stdout: Buffer.concat(chunks).subarray(0, MAX_OUTPUT_BYTES) }));
  });

/** iwgetid -r's output as a name: its trailing newline removed; null when empty. Bytes that are not UTF-8 become U+FFFD. */
export function ssidFromIwgetid(stdout: Buffer): string | null {
  let end = stdout.length;
  if (end > 0 && stdout[end - 1] === 0x0a) end -= 1;
  if (end === 0) return null;
  return new TextDecoder('utf-8').decode(stdout.subarray(0, end));
}

/** `iw dev <if> link`'s SSID line, its \xNN escapes turned back into bytes; null when not connected. */
export function ssidFromIwLink(stdout: Buffer): string | null {
  const text = stdout.toString('latin1');
  if (!/^Connected to /m.test(text)) return null;
  const m = /^\tSSID: (.*)$/m.exec(text);
  if (!m || m[1] === '') return null;
  const bytes: number[] = [];
  const escaped = m[1]!;
  for (let i = 0; i < escaped.length; i++) {
    const hex = escaped[i] === '\\' ? /^\\x([0-9a-fA-F]{2})/.exec(escaped.slice(i)) : null;
    if (hex) {
      bytes.push(parseInt(hex[1]!, 16));
      i += 3;
    } else {
      bytes.push(escaped.charCodeAt(i) & 0xff);
    }
  }
  return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
}

export interface SsidTool {
  command: string;
  args(iface: string): string[];
  parse(stdout: Buffer): string | null;
}

export const IWGETID: SsidTool = { command: 'iwgetid', args: (iface) => ['-r', iface], parse: ssidFromIwgetid };
export const IW_LINK: SsidTool = { command: 'iw', args: (iface) => ['dev', iface, 'link'], parse: ssidFromIwLink };
export const SSID_TOOLS: readonly SsidTool[] = [IWGETID, IW_LINK];

/**
 * The SSID `iface` is joined to, from the first tool that runs and exits 0; null when it is joined
 * to none, or when every tool fails or is missing. Never rejects; `failed` hears why, for the log.
 */
export async function readSsid(
  iface: string,
  run: CommandRunner,
  options: { timeoutMs: number; env: NodeJS.ProcessEnv },
  failed: (why: string) => void = () => {},
  tools: readonly SsidTool[] = SSID_TOOLS,
): Promise<string | null> {
  const reasons: string[] = [];
  for (const tool of tools) {
    const args = tool.args(iface);
    try {
      const result = await run(tool.command, args, options);
      if (result.code === 0) return tool.parse(result.stdout);
      reasons.push(result.code === null ? `${tool.command} took longer than ${options.timeoutMs} ms` : `${tool.command} ${args.join(' ')} exited with ${result.code}`);
    } catch (err) {
      reasons.push(`${tool.command}: ${(err as Error).message}`);
    }
  }
  failed(reasons.join('; '));
  return null;
}
