#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
// main() reports every error itself; a rejection here means the CLI could not load.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`edge-stl: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
