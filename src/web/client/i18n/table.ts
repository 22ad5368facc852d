// The shape every translation table has. An area's English file is the source of its keys; every
// other language's file of that area is typed `Table<typeof english>`, so a missing key (or one
// English no longer has) fails `npm run build`, not the page. Keys start with their area's name,
// which keeps the areas apart when they are put together in one table.

export type Table<English> = { readonly [K in keyof English]: string };

/** An area's English strings: every key starts with `<area>.`. */
export type Area<Name extends string> = Readonly<Record<`${Name}.${string}`, string>>;

/**
 * A language's words for the device's settings (their titles and descriptions come from the device's
 * schema in English): `settings.field.<path>.title`, `.description`, by the setting's dotted path.
 * Not typed against English, since English is the schema itself; test/web/client/fields.test.ts
 * checks each language's table against the real schema.
 */
export type FieldTable = Readonly<Record<`settings.field.${string}`, string>>;
