/** Facts about the sandbox that light modules need without loading oidc-provider. */

/** The GPT id of the sandbox's GPT Action client: its callbacks are ChatGPT's for this id. */
export const SANDBOX_GPT_ID = 'g-gptoauthsandbox';
