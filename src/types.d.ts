// oidc-provider 8 ships no type declarations; the sandbox uses a small, checked surface of it.
declare module 'oidc-provider' {
  const Provider: any;
  export default Provider;
  export const errors: any;
}
