#!/usr/bin/env node
import { runCli } from './interfaces/cli/run-cli.js';

// The composition root (storage drivers, the hub) loads only for the commands that build the application.
process.exitCode = await runCli(process.argv.slice(2), { createApp: async (options) => (await import('./container.js')).createChatApp(options) });
