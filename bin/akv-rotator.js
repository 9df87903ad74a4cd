#!/usr/bin/env node
// The akv-rotator CLI, bundled by `npm run build:cli` into dist/cli.js.
import "../dist/cli.js";
