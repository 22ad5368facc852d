import { spawn } from 'node:child_process';

// The name of the Wi-Fi network an interface is joined to, from `iwgetid -r <interface>`.
//
// Why iwgetid: Raspberry Pi OS Lite installs wireless-tools by name on Bookworm and Trixie alike
// (pi-gen stage2/02-net-tweaks/00-packages: "wpasupplicant wireless-tools ..."), and iwgetid asks
// the kernel with one unprivileged ioctl (SIOCGIWESSID) on an AF_INET socket, which picamd's
// sandbox allows; the kernel's cfg80211 answers it for brcmfmac and mac80211 drivers when built
// with CONFIG_CFG80211_WEXT (Raspberry Pi's bcm2712_defconfig sets it; Debian's arm64 kernel too).
// Not nmcli: dbus-daemon drops the system-bus connections of DynamicUser= services (systemd issue
// #22737), so NetworkManager cannot be asked from inside picamd's unit. Not `iw`: it comes only as
// a Recommends of raspi-config.
//
// iwgetid -r prints the ESSID as raw bytes and a newline (wireless-tools iwgetid.c, FORMAT_RAW:
// printf("%s\n", essid)); an empty line when not associated; nothing and exit status 255 for an
// interface without wireless extensions.

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

export const SSID_COMMAND = 'iwgetid';

/**
 * The SSID `iface` is joined to; null when it is joined to none or the tool fails or is missing.
 * Never rejects; `failed` hears why, for the log.
 */
export async function readSsid(
  iface: string,
  run: CommandRunner,
  options: { timeoutMs: number; env: NodeJS.ProcessEnv },
  failed: (why: string) => void = () => {},
): Promise<string | null> {
  try {
    const result = await run(SSID_COMMAND, ['-r', iface], options);
    if (result.code !== 0) {
      failed(result.code === null ? `${SSID_COMMAND} took longer than ${options.timeoutMs} ms` : `${SSID_COMMAND} -r ${iface} exited with ${result.code}`);
      return null;
    }
    return ssidFromIwgetid(result.stdout);
  } catch (err) {
    failed(`${SSID_COMMAND}: ${(err as Error).message}`);
    return null;
  }
}
