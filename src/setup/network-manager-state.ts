// NetworkManager's own state file, where it keeps whether Wi-Fi is switched on. Pure: the current
// text in, the new text out.
//
// Raspberry Pi OS images built without a Wi-Fi country ship it as "[main]\nWirelessEnabled=false"
// (pi-gen stage2/02-net-tweaks/01-run.sh, commit e86b901e, 2024-10-31), and raspi-config's country
// step answers with `nmcli radio wifi on`. NetworkManager reads the file once when it starts and
// then sets the kernel's rfkill to match (nm-manager.c constructed(): _rfkill_update_system), so a
// radio unblocked before it starts is blocked again while the file says false. picamd-setup runs
// before NetworkManager, so it switches the radio on in the file.
//
// The format is a GLib key file (nm-config.c state_new_from_file: group "main", keys
// NetworkingEnabled, WirelessEnabled, WWANEnabled, each a boolean, true when absent).

export const NETWORK_MANAGER_STATE_FILE = '/var/lib/NetworkManager/NetworkManager.state';

const KEY = 'WirelessEnabled';
const LINE = `${KEY}=true`;

/** GKeyFile skips blanks before a line's first character; a "[" there starts a group, "#" a comment. */
function groupOf(line: string): string | null {
  const t = line.trimStart();
  if (!t.startsWith('[')) return null;
  const end = t.indexOf(']');
  return end < 0 ? null : t.slice(1, end);
}

function isWirelessKey(line: string): boolean {
  const t = line.trimStart();
  if (t.startsWith('#')) return false;
  const eq = t.indexOf('=');
  return eq > 0 && t.slice(0, eq).trimEnd() === KEY;
}

/**
 * The state file with `WirelessEnabled=true` in [main]: every other key, group and comment kept as
 * it was. A key given twice, or a [main] group that appears twice (GKeyFile merges them), is set in
 * every place, so no earlier "false" can win.
 */
export function stateWithWirelessOn(current: string | null): string {
  if (current === null || current.trim() === '') return `[main]\n${LINE}\n`;
  const lines = current.split('\n');
  if (current.endsWith('\n')) lines.pop();
  let group: string | null = null;
  let found = false;
  let mainHeader = -1;
  const out = lines.map((line, i) => {
    const g = groupOf(line);
    if (g !== null) {
      group = g;
      if (g === 'main' && mainHeader < 0) mainHeader = i;
      return line;
    }
    if (group === 'main' && isWirelessKey(line)) {
      found = true;
      return LINE;
    }
    return line;
  });
  if (!found) {
    if (mainHeader >= 0) out.splice(mainHeader + 1, 0, LINE);
    else out.push(...(out.at(-1)?.trim() === '' ? [] : ['']), '[main]', LINE);
  }
  return `${out.join('\n')}\n`;
}
