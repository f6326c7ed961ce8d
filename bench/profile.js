#!/usr/bin/env node
// Runs one stream operation in a tight loop for a while, to be profiled from outside:
//
//   perf record -F 4999 -g -o /tmp/perf.data -- \
//     node --perf-basic-prof --logfile=/tmp/v8.log bench/profile.js writeString 64 5
//   perf report -i /tmp/perf.data --no-children --sort dso,symbol
//
// (--perf-basic-prof names JIT code for perf, and makes V8 write a log: --logfile keeps it out of
// the working directory.)
//
// Arguments: operation (writeString, readString, readFlags, writeFloatArray, readFloatArray,
// message), payload bytes (default 64), seconds (default 5). Prints the rate it reached.
'use strict';
const crypto = require('crypto');
const lib = require('..');

const OPS = {
  writeString: ({ w }, s) => () => w.writeString(s),
  readString: ({ r }) => () => r.readString(),
  readFlags: ({ r }) => () => r.readFlags(),
  writeFloatArray: ({ w }, s, f) => () => w.writeFloatArray(f),
  readFloatArray: ({ r }) => () => r.readFloatArray(),
  message: ({ w, r }, s) => () => {
    w.writeString(s);
    r.readFlags();
    r.readString();
  },
};

function main() {
  const [which = 'writeString', bytesArg = '64', secondsArg = '5'] = process.argv.slice(2);
  const make = OPS[which];
  const bytes = Number(bytesArg);
  const seconds = Number(secondsArg);
  if (!make || !(bytes > 0) || !(seconds > 0)) {
    process.stderr.write(`usage: node bench/profile.js [${Object.keys(OPS).join('|')}] [bytes] [seconds]\n`);
    process.exit(2);
  }
  const name = `nlsm-profile-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const w = new lib.NodeSharedMemoryWriteStream(name, bytes + 4096, false);
  const r = new lib.NodeSharedMemoryReadStream(name);
  try {
    const s = Buffer.alloc(bytes, 'abcdefghijklmnopqrstuvwxyz', 'latin1').toString('latin1');
    const f = new Float32Array(Math.floor(bytes / 4));
    if (which.startsWith('read')) {
      if (which === 'readFloatArray') w.writeFloatArray(f);
      else w.writeString(s);
    }
    const op = make({ w, r }, s, f);
    const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
    let ops = 0;
    const start = process.hrtime.bigint();
    while (process.hrtime.bigint() < end) {
      for (let i = 0; i < 10000; i++) op();
      ops += 10000;
    }
    const ns = Number(process.hrtime.bigint() - start);
    process.stdout.write(`${which} ${bytes} B: ${((ops / ns) * 1e3).toFixed(2)} M ops/s, ${(ns / ops).toFixed(1)} ns/op\n`);
  } finally {
    r.close();
    w.close();
  }
}

main();
