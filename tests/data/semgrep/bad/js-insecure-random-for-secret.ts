// Bad: guessable secrets from Math.random().
export function newResetToken(): string {
  const resetToken = Math.random().toString(36).slice(2); // expect: js-insecure-random-for-secret
  return resetToken;
}

export function newSession(): { sessionId: string } {
  return { sessionId: String(Math.floor(Math.random() * 1e16)) }; // expect: js-insecure-random-for-secret
}
