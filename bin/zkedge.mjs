#!/usr/bin/env node
// The `zkedge` CLI: runs the TypeScript sources through tsx, so a checkout works after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../sync/cli/main.ts');
