#!/usr/bin/env node
// flowlens command line entry point: runs the CLI and exits with its code.
import { main } from "../dist/index.js";

process.exitCode = await main(process.argv.slice(2));
