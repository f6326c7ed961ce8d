// Finds a Go toolchain for the source build: `go` on PATH when it is at least go.mod's `go` line,
// else the toolchain pinned in go-toolchain.sha256, fetched once from the Go module proxy (Go's
// own toolchains are modules: golang.org/toolchain, what GOTOOLCHAIN downloads) into a per-user
// cache and used only if its SHA-256 is the one committed beside this file.
//   LSM_NO_GO_DOWNLOAD=1   never download (a missing or old Go is then an error)
//   LSM_CACHE_DIR=<dir>    the cache (default $XDG_CACHE_HOME or ~/.cache, /node-libsharedmemory)
//   GOPROXY                as for go: a list of proxy URLs (https:// or file://); off forbids
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const SUMS = path.join(__dirname, 'go-toolchain.sha256');
const GOOS = { win32: 'windows' }[process.platform] || process.platform;
const GOARCH = { x64: 'amd64', ia32: '386' }[process.arch] || process.arch;
const GO_DOWNLOAD_PAUSE_MS = 1000; // before the second try of a toolchain download; 2 s before the third

class GoMissing extends Error {}

/** go.mod's `go` line as [major, minor, patch]: the oldest Go that builds the engine. */
function requiredGo() {
  const m = /^go (\d+)\.(\d+)(?:\.(\d+))?\s*$/m.exec(fs.readFileSync(path.join(root, 'go.mod'), 'utf8'));
  return [Number(m[1]), Number(m[2]), Number(m[3] || 0)];
}

function parseVersion(text) {
  const m = /go(\d+)\.(\d+)(?:\.(\d+))?/.exec(text || '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] || 0)] : null;
}

function older(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** The version of the `go` a command runs, or null when there is none. */
function versionOf(goCommand, env) {
  const r = spawnSync(goCommand, ['env', 'GOVERSION'], { encoding: 'utf8', env: { ...env, GOTOOLCHAIN: 'local' } });
  return r.error || r.status !== 0 ? null : parseVersion(r.stdout.trim());
}

/** The pinned toolchain for this platform: { version, module, zip, sha256 } or null. */
function pinned(goos = GOOS, goarch = GOARCH) {
  for (const line of fs.readFileSync(SUMS, 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64})\s+(v0\.0\.1-(go[\d.]+)\.([a-z0-9]+)-([a-z0-9]+))\.zip$/.exec(line.trim());
    if (m && m[4] === goos && m[5] === goarch) return { version: m[3], module: m[2], zip: `${m[2]}.zip`, sha256: m[1] };
  }
  return null;
}

function cacheDir(env) {
  if (env.LSM_CACHE_DIR) return path.resolve(env.LSM_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'node-libsharedmemory');
}

/** The proxies GOPROXY names, in order; [] when it says off. */
function proxies(env) {
  const list = [];
  for (const entry of (env.GOPROXY || 'https://proxy.golang.org').split(/[,|]/)) {
    const url = entry.trim();
    if (url === 'off') break;
    // "direct" would mean cloning Go's repository; the toolchain zips exist only on proxies.
    if (url && url !== 'direct') list.push(url.replace(/\/+$/, ''));
  }
  return list;
}

/** Failures worth another try: the network, the proxy overloaded or failing, a body cut short. */
class Transient extends Error {}

/** One GET of url: the whole body, or Transient, or Error for a status that will not change (404). */
async function get(url) {
  let res;
  let body;
  try {
    res = await fetch(url);
    if (res.ok) body = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    // fetch() rejects with a TypeError whose cause says what the network did; a body shorter than
    // its Content-Length rejects here too ("terminated", "other side closed").
    throw new Transient(err.cause ? `${url}: ${err.message} (${err.cause.message || err.cause})` : `${url}: ${err.message}`);
  }
  if (!res.ok) {
    const msg = `${url}: HTTP ${res.status}`;
    throw res.status >= 500 || res.status === 408 || res.status === 429 ? new Transient(msg) : new Error(msg);
  }
  return body;
}

/**
 * The bytes at url (file:// or http(s)://). A transient failure is tried again, up to `tries` times
 * in all with a growing pause (GO_DOWNLOAD_PAUSE_MS apart, then twice that), as npm does for its
 * own fetches: a proxy that resets one connection should not send a user to install Go by hand.
 */
async function download(url, { tries = 3, pauseMs = GO_DOWNLOAD_PAUSE_MS } = {}) {
  if (url.startsWith('file://')) return fs.readFileSync(new URL(url));
  for (let attempt = 1; ; attempt++) {
    try {
      return await get(url);
    } catch (err) {
      if (!(err instanceof Transient) || attempt >= tries) {
        throw new Error(attempt > 1 ? `${err.message} (after ${attempt} tries)` : err.message);
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs * 2 ** (attempt - 1)));
    }
  }
}

/**
 * Writes the files of a zip under dir, each name without its leading prefix. Module
 * zips hold plain files only (no links), deflated or stored; their size stays far below zip64.
 */
function unzip(zip, dir, prefix) {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip file');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const mode = zip.readUInt32LE(p + 38) >>> 16;
    const local = zip.readUInt32LE(p + 42);
    const name = zip.toString('utf8', p + 46, p + 46 + nameLen);
    p += 46 + nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
    const rel = name.slice(prefix.length);
    if (!name.startsWith(prefix) || rel.split('/').includes('..') || path.isAbsolute(rel)) {
      throw new Error(`unsafe path in zip: ${name}`);
    }
    if (name.endsWith('/')) continue;
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    const bytes = method === 8 ? zlib.inflateRawSync(data) : method === 0 ? data : null;
    if (!bytes) throw new Error(`unsupported zip method ${method} for ${name}`);
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Go's own toolchain switch makes bin/ and pkg/tool/ executable whatever the zip records.
    const exec = (mode & 0o111) !== 0 || /^(bin|pkg\/tool)\//.test(rel);
    fs.writeFileSync(file, bytes, { mode: exec ? 0o755 : 0o644 });
  }
}

/** The pinned toolchain's go command from the cache, fetching and checking it first if needed. */
async function fetchPinned(env, want) {
  const pin = pinned();
  if (!pin) {
    throw new GoMissing(`no Go toolchain is pinned for ${GOOS}-${GOARCH}; install Go ${want} or newer (https://go.dev/dl/).`);
  }
  const dir = path.join(cacheDir(env), `${pin.version}.${GOOS}-${GOARCH}`);
  const go = path.join(dir, 'bin', GOOS === 'windows' ? 'go.exe' : 'go');
  if (fs.existsSync(go)) return { go, pin, dir, fetched: false };
  if (env.LSM_NO_GO_DOWNLOAD && env.LSM_NO_GO_DOWNLOAD !== '0') {
    throw new GoMissing(`building needs Go ${want} or newer on PATH (https://go.dev/dl/); ` +
      'LSM_NO_GO_DOWNLOAD forbids fetching it.');
  }
  const urls = proxies(env);
  if (urls.length === 0) {
    throw new GoMissing(`building needs Go ${want} or newer on PATH (https://go.dev/dl/); GOPROXY=off forbids fetching it.`);
  }
  const failures = [];
  for (const proxy of urls) {
    let zip;
    try {
      zip = await download(`${proxy}/golang.org/toolchain/@v/${pin.zip}`);
    } catch (err) {
      failures.push(err.message);
      continue;
    }
    const sum = crypto.createHash('sha256').update(zip).digest('hex');
    if (sum !== pin.sha256) {
      // A proxy that serves other bytes is not trusted for the next try either.
      throw new GoMissing(`${proxy} served ${pin.zip} with SHA-256 ${sum}, not the ${pin.sha256} ` +
        `pinned in tools/go-toolchain.sha256; refusing it. Install Go ${want} or newer (https://go.dev/dl/).`);
    }
    // Unpacked beside its final place and renamed into it, so a cache entry is always whole.
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = fs.mkdtempSync(`${dir}.partial-`);
    try {
      unzip(zip, tmp, `golang.org/toolchain@${pin.module}/`);
      fs.renameSync(tmp, dir);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(go)) throw err; // else a concurrent build finished first
    }
    return { go, pin, dir, fetched: true };
  }
  throw new GoMissing(`building needs Go ${want} or newer on PATH (https://go.dev/dl/), and fetching ` +
    `${pin.version} failed: ${failures.join('; ')}`);
}

/**
 * The go command to build with: { go, note } where note is the one line to print when it is not
 * the `go` on PATH. Throws GoMissing, whose message says what to install, when there is none.
 */
async function findGo(env = process.env) {
  const need = requiredGo();
  const want = need.join('.').replace(/\.0$/, '');
  const found = versionOf('go', env);
  if (found && !older(found, need)) return { go: 'go', note: null };
  const { go, pin, dir, fetched } = await fetchPinned(env, want);
  const why = found ? `go on PATH is go${found.join('.')}, older than go.mod's ${want}` : 'go is not on PATH';
  const how = fetched ? 'fetched from the Go module proxy, SHA-256 checked, into' : 'from';
  return { go, note: `${why}: building with ${pin.version} ${how} ${dir}` };
}

module.exports = { findGo, GoMissing, pinned, requiredGo, unzip, cacheDir, download };
