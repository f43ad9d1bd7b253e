// Builds the dashboard: copies the page (page/) and uPlot's browser files (from node_modules,
// installed by `npm ci` from the committed lock file) into OUT_DIR, and writes assets.txt there,
// the list of files DashboardAssets serves. No bundler: the page is plain ES modules.
//
// usage: node build.mjs OUT_DIR   (Maven passes ${project.build.outputDirectory}/io/fedge/dashboard)

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MANIFEST = 'assets.txt';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.(html|js|css|svg|txt)$/;
const here = dirname(fileURLToPath(import.meta.url));

function fail(message) {
  console.error(`fedge-dashboard build: ${message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
if (args.length !== 1) {
  fail(`expected one argument, the output folder; got ${args.length}`);
}
const out = resolve(args[0]);

const uplot = join(here, 'node_modules', 'uplot');
if (!existsSync(join(uplot, 'dist', 'uPlot.esm.js'))) {
  fail(`${uplot} has no dist/uPlot.esm.js: run 'npm ci' in ${here} first`);
}

// [source, name in the jar]
const files = [];
for (const name of readdirSync(join(here, 'page')).sort()) {
  if (!NAME.test(name)) {
    fail(`page/${name}: only .html, .js, .css, .svg and .txt files with plain names belong in page/`);
  }
  files.push([join(here, 'page', name), name]);
}
files.push([join(uplot, 'dist', 'uPlot.esm.js'), 'uPlot.esm.js']);
files.push([join(uplot, 'dist', 'uPlot.min.css'), 'uPlot.min.css']);
files.push([join(uplot, 'LICENSE'), 'uPlot.LICENSE.txt']);

const names = files.map(([, name]) => name);
if (new Set(names).size !== names.length) {
  fail(`two files would be written under one name: ${names.join(', ')}`);
}
if (!names.includes('index.html')) {
  fail('page/index.html is missing');
}

mkdirSync(out, { recursive: true });
// The folder also holds the compiled io.fedge.dashboard classes: remove only files an earlier
// build listed and this one no longer writes.
const manifestPath = join(out, MANIFEST);
if (existsSync(manifestPath)) {
  for (const old of readFileSync(manifestPath, 'utf8').split('\n')) {
    if (NAME.test(old) && !names.includes(old)) {
      rmSync(join(out, old), { force: true });
    }
  }
}
let bytes = 0;
for (const [source, name] of files) {
  copyFileSync(source, join(out, name));
  bytes += statSync(source).size;
}
writeFileSync(manifestPath, `${[...names].sort().join('\n')}\n`);
console.log(`fedge-dashboard: ${files.length} files, ${bytes} bytes -> ${out}`);
