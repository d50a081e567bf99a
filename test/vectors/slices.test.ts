import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inSlices } from '../../src/vectors/slices.js';

test('inSlices visits every item in order and lets the event loop turn between slices, not within one', async () => {
  const events: string[] = [];
  let turns = 0;
  const tick = () =>
    setImmediate(() => {
      turns++;
      events.push(`turn ${turns}`);
      if (turns < 10) tick();
    });
  tick();
  await inSlices(['a', 'b', 'c', 'd', 'e'], 2, (item, index) => events.push(`${index}:${item}`));
  const visits = events.filter((event) => !event.startsWith('turn'));
  assert.deepEqual(visits, ['0:a', '1:b', '2:c', '3:d', '4:e']);
  // Another callback ran between the slices [a, b], [c, d], [e], and none inside one.
  const at = (event: string) => events.indexOf(event);
  assert.ok(
    events.slice(at('1:b'), at('2:c')).some((event) => event.startsWith('turn')),
    events.join(', '),
  );
  assert.ok(
    events.slice(at('3:d'), at('4:e')).some((event) => event.startsWith('turn')),
    events.join(', '),
  );
  assert.equal(at('1:b'), at('0:a') + 1);
  assert.equal(at('3:d'), at('2:c') + 1);
});

test('inSlices: a throw stops the visit, and nothing after it is visited', async () => {
  const seen: number[] = [];
  await assert.rejects(
    inSlices([1, 2, 3, 4, 5], 2, (item) => {
      if (item === 4) throw new Error('bad item');
      seen.push(item);
    }),
    /bad item/,
  );
  assert.deepEqual(seen, [1, 2, 3]);
});
