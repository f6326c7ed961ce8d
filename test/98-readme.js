// Every ```js block of README.md runs, as written, in a process of its own: the README cannot drift
// from the code. A block is run as a CommonJS module inside an async function (so it may use
// top-level await), with `require('node-libsharedmemory')` resolving to this checkout. Two things
// are changed before it runs, and nothing else:
//   - the segment names it passes to a constructor, SharedMemory.create/open or unlink are made
//     unique to this run (every quoted occurrence of such a name in the block);
//   - a statement on one line ending in `// => expected` checks that its value deep-equals
//     `expected`, the longest start of the comment (cut at a `,`, `:` or `;`) that is an expression:
//     `reader.readString();   // => 'hi', a copy` checks for 'hi'.
// Fences other than js (sh, text, ts, ...) are not run.
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { uniqueName, segmentNames, segmentExists, removeSegment, api } = require('./helpers');

const root = path.join(__dirname, '..');
const README = path.join(root, 'README.md');

/** The fenced blocks of a Markdown text: { lang, line (of the first code line, 1-based), code }. */
function fencedBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    assert.ok(end < lines.length, `README.md:${i + 1}: a code fence that is never closed`);
    blocks.push({ lang: open[1], line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

// Calls that take a segment name as their first argument.
const NAMED_CALL = /(?:new NodeSharedMemory(?:WriteStream|ReadStream|Queue)|SharedMemory\.(?:create|open)|\bunlink)\(\s*(['"])([^'"\\]+)\1/g;

/** The block with each literal segment name made unique to this run, and the names it uses. */
function renameSegments(code) {
  const renamed = new Map();
  for (const m of code.matchAll(NAMED_CALL)) {
    if (!renamed.has(m[2])) renamed.set(m[2], uniqueName(`readme-${m[2]}`));
  }
  let out = code;
  for (const [from, to] of renamed) {
    out = out.split(`'${from}'`).join(`'${to}'`).split(`"${from}"`).join(`"${to}"`);
  }
  return { code: out, names: [...renamed.values()] };
}

function isExpression(text) {
  try {
    // Parsed only, never run here: the block evaluates it in its own scope.
    // eslint-disable-next-line no-new-func
    new Function(`return (${text}\n);`);
    return true;
  } catch {
    return false;
  }
}

/** The expected value of a `// =>` comment: its longest start that parses as an expression. */
function expectedOf(comment, where) {
  const text = comment.trim();
  if (isExpression(text)) return text;
  for (let i = text.length - 1; i > 0; i--) {
    if (',:;'.includes(text[i]) && isExpression(text.slice(0, i))) return text.slice(0, i);
  }
  throw new Error(`${where}: the comment after // => does not start with an expression: ${text}`);
}

/** Turns each `statement; // => expected` line into a check, keeping the lines where they were. */
function addChecks(code, firstLine) {
  return code.split('\n').map((line, i) => {
    const at = line.indexOf('// =>');
    if (at < 0) return line;
    const where = `README.md:${firstLine + i}`;
    const m = /^(\s*)(.+?);\s*$/.exec(line.slice(0, at));
    if (!m) throw new Error(`${where}: // => follows something that is not one statement ending in ';'`);
    const [, indent, statement] = m;
    const expected = expectedOf(line.slice(at + 5), where);
    const decl = /^(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*([^]+)$/.exec(statement);
    if (decl) return `${indent}${statement}; __expect(${decl[1]}, (${expected}), ${JSON.stringify(where)});`;
    return `${indent}__expect((${statement}), (${expected}), ${JSON.stringify(where)});`;
  }).join('\n');
}

const PRELUDE = [
  "'use strict';",
  "const __assert = require('assert');",
  'function __expect(actual, expected, where) {',
  '  try { __assert.deepStrictEqual(actual, expected); } catch (err) { throw new Error(`${where}: ${err.message}`); }',
  '}',
  '(async () => {',
].join('\n');
const POSTLUDE = "\n})().catch((err) => { console.error(err); process.exit(1); });\n";

/** Output of a block's run with its file's line numbers turned into the README's. */
function toReadmeLines(output, fileName, firstLine) {
  const offset = PRELUDE.split('\n').length + 1; // the file line of the block's first line
  return output.split(`${fileName}:`).map((part, i) => (i === 0 ? part
    : part.replace(/^(\d+)/, (n) => `README.md:${Number(n) - offset + firstLine}`))).join('');
}

describe('98 README', function () {
  let dir;
  const blocks = fencedBlocks(fs.readFileSync(README, 'utf8'));
  const jsBlocks = blocks.filter((b) => b.lang === 'js' || b.lang === 'javascript');

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nlsm-readme-'));
    fs.mkdirSync(path.join(dir, 'node_modules'));
    const link = path.join(dir, 'node_modules', 'node-libsharedmemory');
    if (process.platform === 'win32') {
      // Symbolic links need a privilege on Windows, and Wine makes no junctions: a package that
      // re-exports this checkout instead.
      fs.mkdirSync(link);
      fs.writeFileSync(path.join(link, 'index.js'), `module.exports = require(${JSON.stringify(root)});\n`);
    } else {
      fs.symlinkSync(root, link, 'dir');
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('has code blocks to run, each fence closed and labelled', () => {
    assert.ok(jsBlocks.length >= 6, `only ${jsBlocks.length} js blocks found`);
    for (const b of blocks) assert.notStrictEqual(b.lang, '', `README.md:${b.line - 1}: a fence without a language`);
  });

  it('the checker itself catches a wrong // => value', () => {
    const code = addChecks("const x = 1 + 1;\nx;   // => 3, a wrong claim", 1);
    const file = path.join(dir, 'self-check.js');
    fs.writeFileSync(file, `${PRELUDE}\n${code}${POSTLUDE}`);
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 20000 });
    assert.strictEqual(run.status, 1);
    assert.match(run.stderr, /README\.md:2: Expected values to be strictly deep-equal/);
  });

  for (const block of jsBlocks) {
    it(`README.md:${block.line} runs`, function () {
      // A block that uses the default name would change a segment of that name that a program on
      // this machine owns: it runs only where there is none.
      const usesDefault = /new NodeSharedMemory(?:Write|Read)Stream\(\s*\)/.test(block.code);
      if (usesDefault && segmentExists(api.DEFAULT_NAME)) {
        console.log(`      skipped: a segment named ${api.DEFAULT_NAME} exists on this machine, and this block would change it`);
        this.skip();
      }
      const { code, names } = renameSegments(block.code);
      const file = path.join(dir, `block-${block.line}.js`);
      // The prelude is one line per line of PRELUDE; stack traces then point at block line + offset.
      fs.writeFileSync(file, `${PRELUDE}\n${addChecks(code, block.line)}${POSTLUDE}`);
      const before = new Set(segmentNames());
      try {
        const run = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 20000 });
        const output = toReadmeLines(`${run.stdout}${run.stderr}`, path.basename(file), block.line);
        assert.strictEqual(run.signal, null, `README.md:${block.line}: killed by ${run.signal} (did it end?)\n${output}`);
        assert.strictEqual(run.status, 0, `README.md:${block.line} failed:\n${output}`);
      } finally {
        for (const name of names) removeSegment(name);
        if (usesDefault && !before.has(api.DEFAULT_NAME)) removeSegment(api.DEFAULT_NAME);
      }
    });
  }
});
