// Good: credentials from the environment; names that only mention secrets.  good: js-hardcoded-secret
const DB_PASSWORD = process.env.DB_PASSWORD;
const API_KEY_ENV = "STRIPE_API_KEY";

export const config = {
  apiKey: process.env.STRIPE_API_KEY,
  passwordField: "password",
  tokenType: "Bearer",
};

export { DB_PASSWORD, API_KEY_ENV };

export const PASSWORD_ENV_PREFIX = "DEVFORGE_NATS_PASSWORD_";
export const passwordEnvPrefix = "APP_PASSWORD_";
export const docs = { apiKey: "your-api-key-placeholder" };
