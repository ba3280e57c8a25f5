#!/usr/bin/env node
import { createChatApp } from './container.js';
import { runCli } from './interfaces/cli/run-cli.js';

process.exitCode = await runCli(process.argv.slice(2), { createApp: createChatApp });
