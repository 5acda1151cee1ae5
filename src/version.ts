import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const VERSION: string = (require('../package.json') as { version: string }).version;

/**
 * The GitHub Action (action.yml at the repository root) that workflows written by `init` use.
 * Its major-version tag moves with each release of the same major; the action runs the
 * gpt-oauth-cli version of its own package.json unless its `version` input says otherwise.
 */
export const GITHUB_ACTION = 'gpt-oauth/gpt-oauth@v0';
