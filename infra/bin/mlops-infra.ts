#!/usr/bin/env node
import { buildApp } from '../lib/app';
import { ConfigError } from '../lib/config';

// The app entry `cdk.json` runs. A bad setting ends synthesis with its message, not a stack trace.
try {
  buildApp().app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
