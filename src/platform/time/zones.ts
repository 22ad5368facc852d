// Time zone names as systemd-timedated takes them, and the list it offers, as pure functions.
// timedated refuses a zone unless its name is a plain relative path (letters, digits, `-`, `_`,
// `+`, `/`; no `.` parts) and /usr/share/zoneinfo/<name> is a TZif file (systemd's
// timezone_is_valid() in src/basic/time-util.c); `timedatectl list-timezones` lists the zones and
// links of tzdata.zi (get_timezones() there). picamd checks the same before it asks.

/** Whether `name` may name a zone file: the syntax part of timezone_is_valid(). */
export function isZoneName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  if (!/^[A-Za-z0-9_+\-/]+$/.test(name)) return false;
  return name.split('/').every((part) => part !== '' && !part.startsWith('-') && !part.startsWith('+'));
}

/** Whether a file's first bytes are a TZif header. */
export function isTzif(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x54 && head[1] === 0x5a && head[2] === 0x69 && head[3] === 0x66;
}

/**
 * The zones and links of tzdata.zi (`Z Europe/Berlin …` and `L Europe/Berlin Arctic/Longyearbyen`),
 * sorted, without duplicates, plus UTC, which the list always has.
 */
export function zonesFromTzdata(text: string): string[] {
  const zones = new Set<string>(['UTC']);
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === 'Z' && fields[1]) zones.add(fields[1]);
    else if (fields[0] === 'L' && fields[2]) zones.add(fields[2]);
  }
  return [...zones].filter(isZoneName).sort();
}

/**
 * The zone /etc/localtime points at (`../usr/share/zoneinfo/Europe/Berlin` → `Europe/Berlin`), or
 * undefined for a file that is not such a link (the system then runs on UTC, as timedated reports).
 */
export function zoneFromLink(target: string): string | undefined {
  const at = target.lastIndexOf('zoneinfo/');
  if (at < 0) return undefined;
  let zone = target.slice(at + 'zoneinfo/'.length);
  // Debian's `posix/` and `right/` trees hold the same zones.
  zone = zone.replace(/^(posix|right)\//, '');
  return isZoneName(zone) ? zone : undefined;
}
