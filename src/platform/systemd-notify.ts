import { spawn as nodeSpawn } from 'node:child_process';
import type { Logger } from './log/logger.js';
import { realTimers, type IntervalTimers } from './clock.js';

// systemd's readiness and watchdog protocol (sd_notify(3)): datagrams of KEY=VALUE lines sent to the
// AF_UNIX socket named by $NOTIFY_SOCKET. Node has no unix datagram sockets, so each message is
// handed to systemd-notify(1) instead of a native addon (the Pi bundle is cross-built, and every
// addon is one more thing to build for aarch64). Two facts make that safe:
// - systemd-notify runs as a child of picamd, so the unit needs NotifyAccess=all;
// - since systemd 246 systemd-notify waits (BARRIER=1) until PID 1 has read the message, so the
//   message is attributed to the unit even though the sender exits right after. Raspberry Pi OS
//   Bookworm has systemd 252, Trixie 257.
// The cost is one short-lived process per message: READY and STOPPING once, WATCHDOG every
// WatchdogSec/2 (30 s with the shipped unit).
// The barrier has its limit: systemd-notify gives up after 5 s when PID 1 does not read (busy with a
// daemon-reload, or a machine starved of CPU), and a message whose sender is gone can no longer be
// told apart from a stranger's, so that ping is lost. Such a ping is sent again at once, so that one
// sender is always waiting while PID 1 is away: systemd handles its watchdog timer last ("everything
// else which might be a sign of living" first: the timer is SD_EVENT_PRIORITY_IDLE in service.c),
// so the waiting sender's ping counts when PID 1 comes back, even past the deadline.

/** Sends one notification (its KEY=VALUE fields); resolves true when it was delivered. */
export type NotifySend = (fields: string[]) => Promise<boolean>;

export type SpawnFn = typeof nodeSpawn;

/**
 * The default sender: `systemd-notify FIELD...`. It resolves false (never rejects) when the tool is
 * missing, fails, or takes longer than `timeoutMs` (it is killed then).
 */
export function systemdNotifySend(
  logger: Logger,
  env: NodeJS.ProcessEnv,
  spawn: SpawnFn = nodeSpawn,
  command = 'systemd-notify',
  timeoutMs = 10_000,
): NotifySend {
  let missingReported = false;
  return (fields) =>
    new Promise<boolean>((resolve) => {
      let stderr = '';
      let settled = false;
      const finish = (ok: boolean, problem?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (problem) logger.warn(`${command} ${fields.join(' ')} failed: ${problem}`);
        resolve(ok);
      };
      const child = spawn(command, fields, { env, stdio: ['ignore', 'ignore', 'pipe'] });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(false, `no answer after ${timeoutMs} ms`);
      }, timeoutMs);
      timer.unref();
      child.stderr?.setEncoding('utf8').on('data', (text: string) => {
        if (stderr.length < 1000) stderr += text;
      });
      child.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') {
          // Said once: a missing tool would otherwise be logged at every watchdog ping.
          if (!missingReported) finish(false, `${command} not found (is systemd installed?)`);
          else finish(false);
          missingReported = true;
        } else {
          finish(false, err.message);
        }
      });
      child.on('close', (code, signal) => {
        if (code === 0) finish(true);
        else finish(false, `exit ${code ?? signal}${stderr ? `: ${stderr.trim()}` : ''}`);
      });
    });
}

/**
 * How often to send WATCHDOG=1, in ms: half of $WATCHDOG_USEC as sd_watchdog_enabled(3) advises, or
 * null when the watchdog is off or meant for another process ($WATCHDOG_PID).
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!env.WATCHDOG_USEC || !Number.isSafeInteger(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.max(1, Math.floor(usec / 2 / 1000));
}

/** A ping that failed after waiting this long waited on PID 1 (not a tool that failed at once): sent again at once. */
export const SLOW_PING_MS = 1000;

export interface SystemdNotifierDeps {
  logger: Logger;
  /** Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. */
  env: NodeJS.ProcessEnv;
  pid: number;
  /** Defaults to systemdNotifySend(logger, env). */
  send?: NotifySend;
  timers?: IntervalTimers;
  /** Monotonic ms (performance.now). */
  now?: () => number;
}

/**
 * Tells systemd when picamd is ready, alive and stopping. Every method does nothing when
 * $NOTIFY_SOCKET is unset (not started by systemd, or a unit without Type=notify).
 */
export class SystemdNotifier {
  private readonly logger: Logger;
  private watchdog: unknown = null;
  private pingInFlight = false;
  private stoppingSent = false;
  private sendFn: NotifySend | undefined;

  constructor(private readonly deps: SystemdNotifierDeps) {
    this.logger = deps.logger;
  }

  /** True when started by systemd with a notify socket. */
  get enabled(): boolean {
    return Boolean(this.deps.env.NOTIFY_SOCKET);
  }

  /** READY=1, once picamd listens; `status` becomes the STATUS= line of `systemctl status`. */
  async ready(status?: string): Promise<void> {
    if (!this.enabled) return;
    const fields = ['READY=1'];
    if (status) fields.push(`STATUS=${oneLine(status)}`);
    if (await this.sender(fields)) this.logger.info('told systemd that picamd is ready');
  }

  /** STATUS=…, for rare state changes (each message costs a process spawn). */
  async status(text: string): Promise<void> {
    if (!this.enabled) return;
    await this.sender([`STATUS=${oneLine(text)}`]);
  }

  /** STOPPING=1 (once), and the watchdog pings end. */
  async stopping(): Promise<void> {
    this.stop();
    if (!this.enabled || this.stoppingSent) return;
    this.stoppingSent = true;
    await this.sender(['STOPPING=1']);
  }

  /**
   * WATCHDOG=1 now and then every WATCHDOG_USEC/2, from a timer on the event loop: if the loop
   * hangs, the pings stop and systemd restarts the service. A ping still in flight (PID 1 busy) is
   * not doubled. The timer is unref'd so it never keeps the process alive.
   */
  startWatchdog(): void {
    if (!this.enabled || this.watchdog !== null) return;
    const ms = watchdogIntervalMs(this.deps.env, this.deps.pid);
    if (ms === null) return;
    this.watchdog = this.timers().setInterval(() => this.ping(), ms);
    (this.watchdog as { unref?: () => void }).unref?.();
    this.logger.info(`watchdog: pinging systemd every ${ms} ms`);
    this.ping();
  }

  /** Ends the watchdog pings. Safe to call more than once. */
  stop(): void {
    if (this.watchdog === null) return;
    this.timers().clearInterval(this.watchdog);
    this.watchdog = null;
  }

  private timers(): IntervalTimers {
    return this.deps.timers ?? realTimers;
  }

  private ping(): void {
    if (this.pingInFlight) {
      this.logger.debug('watchdog: previous ping still in flight, skipping this one');
      return;
    }
    this.pingInFlight = true;
    const now = this.deps.now ?? (() => performance.now());
    const started = now();
    void this.sender(['WATCHDOG=1']).then((delivered) => {
      this.pingInFlight = false;
      if (!delivered && this.watchdog !== null && now() - started >= SLOW_PING_MS) {
        this.logger.warn('watchdog: systemd did not take the ping in time; sending it again');
        this.ping();
      }
    });
  }

  private sender(fields: string[]): Promise<boolean> {
    this.sendFn ??= this.deps.send ?? systemdNotifySend(this.logger, this.deps.env);
    return this.sendFn(fields).catch((err: unknown) => {
      this.logger.warn(`sending ${fields.join(' ')} failed: ${(err as Error).message}`);
      return false;
    });
  }
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
