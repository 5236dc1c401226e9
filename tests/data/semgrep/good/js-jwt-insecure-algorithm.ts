// Good: verification with a key and fixed algorithms.  good: js-jwt-insecure-algorithm
import jwt from "jsonwebtoken";

export function claims(token: string, publicKey: string): unknown {
  return jwt.verify(token, publicKey, { algorithms: ["RS256"] });
}

export function signed(payload: object, key: string): string {
  return jwt.sign(payload, key, { algorithm: "HS256", expiresIn: "1h" });
}
