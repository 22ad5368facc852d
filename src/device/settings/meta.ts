import type { z } from 'zod';

// What marks a config leaf as settable from the page: `.meta({ group, title, description, unit?,
// applies })` on its zod schema. The page builds its form from these, and services decide from
// `applies` what a change costs.

export const settingGroups = ['Camera', 'Video', 'Picture', 'Focus', 'Exposure', 'Device', 'RTSP / ONVIF'] as const;
export type SettingGroup = (typeof settingGroups)[number];

export const settingUnits = ['px', 'fps', '%', 'dioptres', 'µs', 'ms', '°', 'kbit/s'] as const;
export type SettingUnit = (typeof settingUnits)[number];

/**
 * live: applied at once; camera: restarts rpicam-vid; gpio: re-opens the GPIO lines; restart: takes
 * effect at the next picamd start.
 */
export const appliesClasses = ['live', 'camera', 'gpio', 'restart'] as const;
export type Applies = (typeof appliesClasses)[number];

export interface SettingMeta {
  group: SettingGroup;
  /** Short label. */
  title: string;
  /** One sentence. */
  description: string;
  unit?: SettingUnit;
  applies: Applies;
  /** Write-only from the page (a broker password): read back masked, see secrets.ts. */
  secret?: boolean;
}

declare module 'zod' {
  // Typed keys for .meta() on config schemas; a typo in a group or an applies class fails typecheck.
  interface GlobalMeta {
    group?: SettingGroup;
    unit?: SettingUnit;
    applies?: Applies;
    secret?: boolean;
  }
}

/** The setting meta carried by `schema` or any of its wrappers (default, nullable, ...), if any. */
export function settingMetaOf(schema: z.ZodType): SettingMeta | undefined {
  for (let layer: z.ZodType | undefined = schema; layer; layer = innerOf(layer)) {
    const meta = layer.meta();
    if (meta?.group) {
      return {
        group: meta.group,
        title: meta.title ?? '',
        description: meta.description ?? '',
        ...(meta.unit ? { unit: meta.unit } : {}),
        applies: meta.applies ?? 'restart',
        ...(meta.secret ? { secret: true } : {}),
      };
    }
  }
  return undefined;
}

const wrappers = new Set(['default', 'prefault', 'nullable', 'optional', 'readonly', 'nonoptional', 'catch']);

/** The schema inside a wrapper (default, nullable, ...); undefined for anything else. */
export function innerOf(schema: z.ZodType): z.ZodType | undefined {
  const def = schema._zod.def as { type: string; innerType?: z.ZodType };
  return wrappers.has(def.type) ? def.innerType : undefined;
}
