// Good: escaped output, JSON answers.  good: js-express-reflected-xss
const escapeHtml = require("escape-html");
const express = require("express");

const app = express();

app.get("/hello", (req, res) => {
  res.send(`<h1>Hello ${escapeHtml(req.query.name)}</h1>`);
});

app.get("/api/echo", (req, res) => {
  res.json({ text: req.query.text });
});

app.get("/count", (req, res) => {
  res.send(`<p>${parseInt(req.query.n, 10)}</p>`);
});
