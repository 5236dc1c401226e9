// Good: protected cookies.  good: js-cookie-without-protection
const session = require("express-session");

function login(req, res, id) {
  res.cookie("sid", id, { httpOnly: true, secure: true, sameSite: "lax" });
}

const sessions = session({ secret: process.env.SESSION_SECRET, cookie: { httpOnly: true, secure: true } });

module.exports = { login, sessions };
