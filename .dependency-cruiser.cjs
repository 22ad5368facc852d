// The house's rule, checked by `npm run check:layers` (and so by `npm test`): layers only point down.
//   main.ts → app/ → web/ integrations/ setup/ observe/ → media/ device/ → formats/ platform/
// formats/ is pure (bytes in, values out: no app, no platform); sim/ stands apart and uses formats/;
// the page (web/client/) is its own program and shares only the API types (web/api/).
const UPPER = '^src/(web|integrations|setup|observe)/';
const MIDDLE = '^src/(media|device)/';
const BOTTOM = '^src/(formats|platform)/';

module.exports = {
  forbidden: [
    { name: 'no-cycle', severity: 'error', comment: 'no import cycle between files', from: {}, to: { circular: true } },
    { name: 'app-is-the-root', severity: 'error', comment: 'only main.ts and app/ reach app/', from: { path: '^src/', pathNot: '^src/(main\\.ts$|app/)' }, to: { path: '^src/(main\\.ts$|app/)' } },
    { name: 'upper-not-up', severity: 'error', from: { path: UPPER }, to: { path: '^src/(main\\.ts$|app/|sim/)' } },
    { name: 'middle-not-up', severity: 'error', from: { path: MIDDLE }, to: { path: `^src/(main\\.ts$|app/|sim/|web/|integrations/|setup/|observe/)` } },
    { name: 'bottom-not-up', severity: 'error', from: { path: BOTTOM }, to: { path: '^src/(main\\.ts$|app/|sim/|web/|integrations/|setup/|observe/|media/|device/)' } },
    { name: 'formats-are-pure', severity: 'error', comment: 'a format knows nothing of the app, nor of the machine', from: { path: '^src/formats/' }, to: { path: '^src/', pathNot: '^src/formats/' } },
    { name: 'sim-apart', severity: 'error', comment: 'the simulated camera is a separate program', from: { path: '^src/sim/' }, to: { path: '^src/', pathNot: '^src/(sim|formats)/' } },
    { name: 'nobody-uses-sim', severity: 'error', from: { path: '^src/', pathNot: '^src/sim/' }, to: { path: '^src/sim/' } },
    { name: 'page-apart', severity: 'error', comment: 'the page shares only the API types with the server', from: { path: '^src/web/client/' }, to: { path: '^src/', pathNot: '^src/web/(client|api)/' } },
    { name: 'server-not-page', severity: 'error', from: { path: '^src/', pathNot: '^src/web/(client|api)/' }, to: { path: '^src/web/client/' } },
    // The upper floor has no cycle between its folders: web may read observe; setup may use the GPIO hold.
    { name: 'observe-reads-below', severity: 'error', from: { path: '^src/observe/' }, to: { path: '^src/(web|integrations|setup)/' } },
    { name: 'integrations-apart', severity: 'error', from: { path: '^src/integrations/' }, to: { path: '^src/(web|setup|observe)/' } },
    { name: 'setup-apart', severity: 'error', from: { path: '^src/setup/' }, to: { path: '^src/(web|observe)/' } },
    { name: 'web-apart', severity: 'error', from: { path: '^src/web/' }, to: { path: '^src/(integrations|setup)/' } },
    // media and device: media reads the device's types; the device never reads media.
    { name: 'device-not-media', severity: 'error', from: { path: '^src/device/' }, to: { path: '^src/media/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/web/static/' },
    tsConfig: { fileName: 'tsconfig.test.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
