import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareVersions, isVersion } from '../../../src/formats/update/version.js';

describe('compareVersions', () => {
  it('orders by semver precedence', () => {
    const ordered = ['0.1.0', '0.1.1', '0.2.0-alpha', '0.2.0-alpha.1', '0.2.0-alpha.beta', '0.2.0-beta.2', '0.2.0-beta.11', '0.2.0-rc.1', '0.2.0', '0.10.0', '1.0.0', '10.0.0'];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        assert.equal(compareVersions(ordered[i]!, ordered[j]!), Math.sign(i - j), `${ordered[i]} vs ${ordered[j]}`);
      }
    }
  });

  it('is antisymmetric and total on generated versions', () => {
    const part = fc.integer({ min: 0, max: 30 });
    const version = fc
      .tuple(part, part, part, fc.option(fc.array(fc.oneof(fc.nat({ max: 20 }).map(String), fc.constantFrom('alpha', 'beta', 'rc')), { minLength: 1, maxLength: 3 })))
      .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre.join('.')}` : ''}`);
    fc.assert(
      fc.property(version, version, (a, b) => {
        assert.ok(isVersion(a) && isVersion(b));
        assert.equal(compareVersions(a, b), -compareVersions(b, a));
        assert.equal(compareVersions(a, b) === 0, a === b);
      }),
    );
  });

  it('refuses what is not a version', () => {
    for (const bad of ['', '1', '1.2', '1.2.3.4', '01.2.3', '1.2.3-', '1.2.3+build', 'v1.2.3', ' 1.2.3', '1.2.3-a..b']) {
      assert.equal(isVersion(bad), false, bad);
      assert.throws(() => compareVersions(bad, '1.0.0'), /not a version/);
    }
  });
});
