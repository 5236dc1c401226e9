// Bad: cookies readable by script or sent over plain HTTP.
const session = require("express-session");

function login(req, res, id) {
  res.cookie("sid", id, { httpOnly: false, secure: true }); // expect: js-cookie-without-protection
}

function remember(res, token) {
  res.cookie("remember", token, { secure: false }); // expect: js-cookie-without-protection
}

const sessions = session({ secret: process.env.SESSION_SECRET, cookie: { httpOnly: false } }); // expect: js-cookie-without-protection

module.exports = { login, remember, sessions };
