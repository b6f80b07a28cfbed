import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labelKey, OVERFLOW_LABEL_VALUE, SeriesCap } from '../../../src/daemon/series-cap.js';

const s = (pod: string, value = 1) => ({ labels: { pod, namespace: 'ns' }, value });
const pods = (...names: string[]) => names.map((n) => s(n));

describe('SeriesCap', () => {
  test('under the cap everything is kept', () => {
    const cap = new SeriesCap(['pod', 'namespace'], 3);
    const r = cap.apply(pods('a', 'b', 'c'));
    assert.deepEqual(
      r.kept.map((x) => x.labels.pod),
      ['a', 'b', 'c'],
    );
    assert.equal(r.folded.length, 0);
    assert.equal(r.newlyFolded, 0);
  });

  test('over the cap the extra label sets are folded, counted once while they stay folded', () => {
    const cap = new SeriesCap(['pod', 'namespace'], 2);
    let r = cap.apply(pods('a', 'b', 'c', 'd'));
    assert.deepEqual(
      r.kept.map((x) => x.labels.pod),
      ['a', 'b'],
    );
    assert.deepEqual(
      r.folded.map((x) => x.labels.pod),
      ['c', 'd'],
    );
    assert.equal(r.newlyFolded, 2);
    r = cap.apply(pods('a', 'b', 'c', 'd'));
    assert.equal(r.newlyFolded, 0, 'the same folded label sets are not counted again');
    r = cap.apply(pods('a', 'b', 'c', 'd', 'e'));
    assert.equal(r.newlyFolded, 1);
  });

  test('admission is sticky: a kept series keeps its place even when newcomers are reported first', () => {
    const cap = new SeriesCap(['pod', 'namespace'], 2);
    cap.apply(pods('a', 'b'));
    const r = cap.apply(pods('x', 'y', 'b', 'a'));
    assert.deepEqual(r.kept.map((x) => x.labels.pod).sort(), ['a', 'b']);
    assert.deepEqual(r.folded.map((x) => x.labels.pod).sort(), ['x', 'y']);
  });

  test('a label set no longer reported frees its place', () => {
    const cap = new SeriesCap(['pod', 'namespace'], 2);
    cap.apply(pods('a', 'b', 'c'));
    const r = cap.apply(pods('b', 'c'));
    assert.deepEqual(r.kept.map((x) => x.labels.pod).sort(), ['b', 'c']);
    assert.equal(r.folded.length, 0);
  });

  test('families without labels are never capped; overflow labels are all "[overflow]"', () => {
    assert.equal(new SeriesCap([], 1).apply([{ labels: {}, value: 1 }]).kept.length, 1);
    assert.deepEqual(new SeriesCap(['a', 'b'], 1).overflowLabels(), {
      a: OVERFLOW_LABEL_VALUE,
      b: OVERFLOW_LABEL_VALUE,
    });
  });

  test('label keys distinguish values that would collide when concatenated', () => {
    assert.notEqual(labelKey(['a', 'b'], { a: 'x', b: 'yz' }), labelKey(['a', 'b'], { a: 'xy', b: 'z' }));
    assert.equal(labelKey(['a'], {}), labelKey(['a'], { a: '' }));
  });

  test('rejects a nonsensical limit', () => {
    assert.throws(() => new SeriesCap(['a'], 0), /positive integer/);
  });
});
