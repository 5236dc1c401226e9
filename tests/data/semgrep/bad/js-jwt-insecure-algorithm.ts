// Bad: tokens accepted or signed without a real algorithm and key.
import jwt from "jsonwebtoken";

export function claims(token: string, key: string): unknown {
  return jwt.verify(token, key, { algorithms: ["HS256", "none"] }); // expect: js-jwt-insecure-algorithm
}

export function unsigned(payload: object): string {
  return jwt.sign(payload, "", { algorithm: "none" }); // expect: js-jwt-insecure-algorithm
}

export function keyless(token: string): unknown {
  return jwt.verify(token, null); // expect: js-jwt-insecure-algorithm
}
