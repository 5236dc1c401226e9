// Bad: credentials written into the source.
const DB_PASSWORD = "s3cr3t-Passw0rd"; // expect: js-hardcoded-secret

export const config = {
  host: "db",
  apiKey: "sk_live_51HxAbCdEfGh", // expect: js-hardcoded-secret
};

export function setup(client: { clientSecret: string }): void {
  client.clientSecret = "0a1b2c3d4e5f6a7b"; // expect: js-hardcoded-secret
}

export { DB_PASSWORD };

export const multiLine = {
  region: "eu",
  password: "Tr0ub4dor&3", // expect: js-hardcoded-secret
};
