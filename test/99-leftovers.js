// Runs last: every segment this run created (all named with the run's prefix) has been removed,
// by the streams themselves or by the afterEach cleanup of the file that made it.
'use strict';
const assert = require('assert');
const { ownSegments, PREFIX } = require('./helpers');

describe('99 leftovers', () => {
  it(`no ${PREFIX}* segment is left behind by the suite`, () => {
    assert.deepStrictEqual(ownSegments(), []);
  });
});
