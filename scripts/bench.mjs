#!/usr/bin/env node
// Placeholder replaced below in the same session.
