// The gateway tests' OIDC issuer: oauth2-mock-server (RS256, discovery, JWKS) on 127.0.0.1.
// Usage: node issuer.mjs AUDIENCE OUT_JSON — writes {issuer, tokens} once listening.
// Tokens: people of two organisations with and without roles, and one forgery per attack.
import { OAuth2Server } from "oauth2-mock-server";
import * as jose from "jose";
import crypto from "node:crypto";
import fs from "node:fs";

const [audience, out] = process.argv.slice(2);
const server = new OAuth2Server();
const key = await server.issuer.keys.generate("RS256");
await server.start(0, "127.0.0.1");
const issuer = server.issuer.url;
const now = Math.floor(Date.now() / 1000);
const part = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");

const person = (org, sub, role, change) =>
  server.issuer.buildToken({
    expiresIn: 3600,
    scopesOrTransform: (header, payload) => {
      payload.aud = audience;
      payload.sub = sub;
      payload.org_id = org;
      if (role) payload.org_role = role;
      if (change) change(header, payload);
    },
  });

const claims = { iss: issuer, aud: audience, sub: "mallory", org_id: "acme", iat: now, exp: now + 3600 };
const attacker = await jose.generateKeyPair("RS256");
const publicPem = crypto.createPublicKey({ key: key.toJSON ? key.toJSON() : key, format: "jwk" })
  .export({ type: "spki", format: "pem" });
const hsInput = `${part({ alg: "HS256", typ: "JWT", kid: key.kid })}.${part(claims)}`;
const good = await person("acme", "alice");
const flip = good.slice(0, -3) + (good.endsWith("AAA") ? "BBB" : "AAA");

const tokens = {
  alice_acme: good,
  bob_acme_approver: await person("acme", "bob", "org:approver"),
  dave_acme_admin: await person("acme", "dave", "org:admin"),
  carol_globex: await person("globex", "carol"),
  erin_globex_approver: await person("globex", "erin", "org:approver"),
  attack_alg_none: `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`,
  attack_bad_signature: flip,
  attack_hs256_with_public_key:
    `${hsInput}.${crypto.createHmac("sha256", publicPem).update(hsInput).digest("base64url")}`,
  attack_wrong_issuer: await person("acme", "alice", null, (h, p) => { p.iss = "http://127.0.0.1:9/other"; }),
  attack_wrong_audience: await person("acme", "alice", null, (h, p) => { p.aud = "not-devforge"; }),
  attack_expired: await person("acme", "alice", null, (h, p) => { p.iat = now - 7200; p.exp = now - 3600; }),
  attack_future_nbf: await person("acme", "alice", null, (h, p) => { p.nbf = now + 3600; }),
  attack_missing_exp: await person("acme", "alice", null, (h, p) => { delete p.exp; }),
  attack_embedded_jwk: await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", jwk: await jose.exportJWK(attacker.publicKey) })
    .sign(attacker.privateKey),
  attack_jku_header: await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: key.kid, jku: "http://127.0.0.1:9/jwks" })
    .sign(attacker.privateKey),
  attack_unknown_kid: await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: "nobody-knows-this-key" })
    .sign(attacker.privateKey),
};
// Interactive sign-in (authorization code + PKCE, as the dashboard does it): the account typed
// at sign-in travels as the standard `login_hint`; the code remembers it, and the token issued
// for that code is that person's. An unknown hint gets no organisation (the gateway says 401).
const PEOPLE = {
  alice: { org_id: "acme", org_role: "org:approver" },
  bob: { org_id: "acme", org_role: "org:approver" },
  carol: { org_id: "globex" },
  dave: { org_id: "acme", org_role: "org:admin" },
};
const hintOfCode = new Map();
server.service.on("beforeAuthorizeRedirect", (redirect, req) => {
  const code = redirect.url.searchParams.get("code");
  const hint = new URL(req.url, issuer).searchParams.get("login_hint");
  if (code) hintOfCode.set(code, hint || "");
});
server.service.on("beforeTokenSigning", (token, req) => {
  const body = req.body || {};
  if (body.grant_type !== "authorization_code") return;
  const sub = hintOfCode.get(body.code) || "";
  token.payload.aud = audience;
  token.payload.sub = sub || "anonymous";
  const person = PEOPLE[sub];
  if (person) Object.assign(token.payload, person);
});

fs.writeFileSync(out + ".tmp", JSON.stringify({ issuer, tokens }, null, 1));
fs.renameSync(out + ".tmp", out);
