// The source build without Go: tools/build-go.js with PATH stripped of go fetches the pinned
// toolchain from the Go module proxy into the cache, checks its SHA-256 against
// tools/go-toolchain.sha256, says so in one line and builds with it; it refuses a zip with another
// hash, and refuses to download at all when LSM_NO_GO_DOWNLOAD or GOPROXY=off says so.
// (A go that is not there: spawnSync reports ENOENT, status null.)
'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const http = require('http');
const { pinned, requiredGo, download } = require('../tools/go-toolchain');

const root = path.join(__dirname, '..');
const GOARCH = { x64: 'amd64' }[process.arch] || process.arch;

describe('37 go toolchain: a source build that needs no Go installed', function () {
  this.timeout(240000);
  let tmp;
  let bin;
  let pin;

  before(function () {
    pin = pinned('linux', GOARCH);
    if (process.platform !== 'linux' || !pin) {
      console.log(`      skipped: no toolchain pinned for ${process.platform}-${GOARCH} in tools/go-toolchain.sha256`);
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lsm-go-toolchain-'));
    // This PATH without the folders that hold a go: the C compiler cgo needs stays.
    bin = (process.env.PATH || '').split(path.delimiter)
      .filter((dir) => dir && !fs.existsSync(path.join(dir, 'go'))).join(path.delimiter);
    assert.notStrictEqual(spawnSync('go', ['version'], { env: { PATH: bin } }).status, 0, 'go is still on PATH');
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** This environment (its CA certificates, proxies, HOME) without go and the switches tested. */
  function environment(extra) {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (/^(GOROOT|GOTOOLCHAIN|LSM_)/.test(k)) delete env[k];
    return { ...env, PATH: bin, ...extra };
  }

  function buildGo(cache, env, out = path.join(tmp, 'out', 'libgoshm.so')) {
    const started = Date.now();
    const r = spawnSync(process.execPath, ['tools/build-go.js', out], {
      cwd: root,
      encoding: 'utf8',
      env: environment({ LSM_CACHE_DIR: cache, ...env }),
    });
    return { ...r, seconds: (Date.now() - started) / 1000, out };
  }

  it('refuses to download when LSM_NO_GO_DOWNLOAD=1, in one line saying what to install', () => {
    const cache = path.join(tmp, 'cache-forbidden');
    const r = buildGo(cache, { LSM_NO_GO_DOWNLOAD: '1' });
    assert.strictEqual(r.status, 1);
    assert.strictEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^node-libsharedmemory: building needs Go 1\.24 or newer on PATH \(https:\/\/go\.dev\/dl\/\); LSM_NO_GO_DOWNLOAD forbids/);
    assert.ok(!fs.existsSync(cache), 'nothing was cached');
  });

  it('refuses to download when GOPROXY=off', () => {
    const r = buildGo(path.join(tmp, 'cache-off'), { GOPROXY: 'off' });
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /GOPROXY=off forbids fetching it/);
  });

  it('does not build with a go older than go.mod asks for', () => {
    const old = path.join(tmp, 'old-go');
    fs.mkdirSync(old);
    const marker = path.join(tmp, 'old-go-built');
    fs.writeFileSync(path.join(old, 'go'),
      `#!/bin/sh\nif [ "$1" = env ]; then echo go1.20.14; else touch ${marker}; fi\n`, { mode: 0o755 });
    const r = spawnSync(process.execPath, ['tools/build-go.js', path.join(tmp, 'out-old', 'libgoshm.so')], {
      cwd: root,
      encoding: 'utf8',
      env: environment({ PATH: `${old}:${bin}`, LSM_CACHE_DIR: path.join(tmp, 'cache-old'), LSM_NO_GO_DOWNLOAD: '1' }),
    });
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /Go 1\.24 or newer/);
    assert.ok(!fs.existsSync(marker), 'the old go was never asked to build');
  });

  it('refuses a toolchain zip whose SHA-256 is not the pinned one, and caches nothing', () => {
    const proxy = path.join(tmp, 'proxy');
    const at = path.join(proxy, 'golang.org', 'toolchain', '@v');
    fs.mkdirSync(at, { recursive: true });
    fs.writeFileSync(path.join(at, pin.zip), 'PK\u0005\u0006 not the toolchain');
    const cache = path.join(tmp, 'cache-tampered');
    const r = buildGo(cache, { GOPROXY: `file://${proxy}` });
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, new RegExp(`served ${pin.zip.replace(/\./g, '\\.')} with SHA-256 [0-9a-f]{64}, not the ${pin.sha256} pinned`));
    assert.match(r.stderr, /refusing it\. Install Go 1\.24 or newer/);
    assert.deepStrictEqual(fs.existsSync(cache) ? fs.readdirSync(cache) : [], []);
  });

  // A proxy on 127.0.0.1 that answers each GET with the next of `answers`: a status, 'short' (a
  // Content-Length of 64 and 16 bytes, then the connection ends) or 'ok' (BODY).
  describe('the download tries again after a transient failure', () => {
    const BODY = Buffer.from('a toolchain zip, as far as this test cares');
    async function serve(answers, fn) {
      let seen = 0;
      const server = http.createServer((req, res) => {
        const answer = answers[Math.min(seen++, answers.length - 1)];
        if (answer === 'ok') return res.end(BODY);
        if (answer === 'short') {
          res.writeHead(200, { 'content-length': 64 });
          res.write(BODY.subarray(0, 16));
          return setImmediate(() => res.socket.destroy());
        }
        res.writeHead(answer).end();
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${server.address().port}/golang.org/toolchain/@v/x.zip`;
        const out = await fn(url).then((bytes) => ({ bytes }), (err) => ({ err }));
        return { ...out, requests: seen };
      } finally {
        server.close();
      }
    }

    it('a 503 and a body cut short, then the whole body: the bytes, in three requests', async () => {
      const r = await serve([503, 'short', 'ok'], (url) => download(url, { pauseMs: 10 }));
      assert.ifError(r.err);
      assert.deepStrictEqual(r.bytes, BODY);
      assert.strictEqual(r.requests, 3);
    });

    it('a 404 fails at once: one request, the status in the message', async () => {
      const r = await serve([404, 'ok'], (url) => download(url, { pauseMs: 10 }));
      assert.strictEqual(r.requests, 1);
      assert.match(r.err.message, /\/x\.zip: HTTP 404$/);
    });

    it('a proxy that keeps failing: three requests, then an error naming the last failure and the tries', async () => {
      const r = await serve([502], (url) => download(url, { pauseMs: 10 }));
      assert.strictEqual(r.requests, 3);
      assert.match(r.err.message, /HTTP 502 \(after 3 tries\)$/);
    });

    it('nothing listening: the network error is tried again too, and named', async () => {
      const server = http.createServer();
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address();
      await new Promise((resolve) => server.close(resolve));
      const err = await download(`http://127.0.0.1:${port}/x.zip`, { pauseMs: 10 }).then(() => null, (e) => e);
      assert.match(err.message, /fetch failed \(.*ECONNREFUSED.*\) \(after 3 tries\)$/);
    });
  });

  it('fetches the pinned toolchain once, says so in one line, and builds the library with it', () => {
    const cache = path.join(tmp, 'cache-real');
    const first = buildGo(cache, {});
    assert.strictEqual(first.status, 0, first.stderr);
    assert.strictEqual(first.stderr.trim(), `node-libsharedmemory: go is not on PATH: building with ${pin.version} ` +
      `fetched from the Go module proxy, SHA-256 checked, into ${path.join(cache, `${pin.version}.linux-${GOARCH}`)}`);
    assert.ok(fs.statSync(first.out).size > 1e6, 'the library was built');
    console.log(`      fetched, unpacked and built in ${first.seconds.toFixed(1)} s`);

    const again = buildGo(cache, { LSM_NO_GO_DOWNLOAD: '1' }, path.join(tmp, 'out2', 'libgoshm.so'));
    assert.strictEqual(again.status, 0, again.stderr);
    assert.match(again.stderr, /building with go[\d.]+ from .*cache-real/, 'the cached toolchain serves without a download');
  });

  // The package's os and cpu fields promise installs there; where the prebuild does not load, the
  // source build fetches one of these (macOS's have never been fetched on a Mac: the hashes are
  // those `go mod download` checked against Go's checksum database).
  it('pins one Go version, at least go.mod\'s, for every system a source build runs on (linux and darwin, x64 and arm64)', () => {
    const pins = ['linux', 'darwin'].flatMap((goos) => ['amd64', 'arm64'].map((goarch) => [`${goos}-${goarch}`, pinned(goos, goarch)]));
    assert.deepStrictEqual(pins.filter(([, p]) => !p).map(([name]) => name), [], 'platforms without a pin');
    const versions = new Set(pins.map(([, p]) => p.version));
    assert.strictEqual(versions.size, 1, `one version: ${[...versions]}`);
    const [major, minor, patch] = pin.version.slice(2).split('.').map(Number);
    const need = requiredGo();
    assert.ok(major > need[0] || (major === need[0] && (minor > need[1] || (minor === need[1] && (patch || 0) >= need[2]))),
      `${pin.version} is at least go.mod's ${need.join('.')}`);
  });
});
