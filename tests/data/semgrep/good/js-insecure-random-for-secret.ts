// Good: crypto for secrets, Math.random for everything else.  good: js-insecure-random-for-secret
import { randomBytes, randomUUID } from "crypto";

export function newResetToken(): string {
  const resetToken = randomBytes(32).toString("hex");
  return resetToken;
}

export function newSession(): { sessionId: string } {
  return { sessionId: randomUUID() };
}

export function jitter(): number {
  const delay = 100 + Math.random() * 50;
  return delay;
}

export function budget(): number {
  const maxTokens = Math.floor(256 + Math.random() * 768);
  return maxTokens;
}
