// Mocha reporter: the Spec reporter, plus one plain summary line at the very end
// ("mocha: N passed, N failed[, N skipped]") that scripts and CI logs can grep for.
'use strict';
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    // Registered after Spec's own EVENT_RUN_END listener (its epilogue), so this line comes last.
    runner.once(EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0 } = this.stats;
      let line = `mocha: ${passes} passed, ${failures} failed`;
      if (pending > 0) line += `, ${pending} skipped`;
      process.stdout.write(`${line}\n`);
    });
  }
}

module.exports = SummaryReporter;
