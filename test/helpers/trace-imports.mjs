// Preloaded with `node --import`: records every module URL the process resolves to $IMPORT_LOG.
import { register } from 'node:module';
register('./trace-imports-hooks.mjs', import.meta.url);
