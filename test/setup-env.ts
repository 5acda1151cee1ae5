/**
 * Tests run the CLI as a user would, and the CLI reads its environment: CI, GitHub Actions,
 * colour, provider credentials, our own GPT_OAUTH_* settings. Whatever the machine running the
 * tests happens to have set (CI sets CI=true) must not change what a test sees, so the ambient
 * values are removed here; a test that is about one of them sets it itself.
 */
const AMBIENT = /^(CI|CONTINUOUS_INTEGRATION|BUILD_NUMBER|RUN_ID|GITHUB_.*|GITLAB_CI|FORCE_COLOR|NO_COLOR|BROWSER|GPT_OAUTH_.*|CLERK_.*|AUTH0_.*|STYTCH_.*|SUPABASE_.*|MCP_URL|SITE_URL)$/;
for (const k of Object.keys(process.env)) if (AMBIENT.test(k)) delete process.env[k];
