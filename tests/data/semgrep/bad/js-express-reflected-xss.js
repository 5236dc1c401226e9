// Bad: request data echoed into HTML.
const express = require("express");

const app = express();

app.get("/hello", (req, res) => {
  res.send(`<h1>Hello ${req.query.name}</h1>`); // expect: js-express-reflected-xss
});

app.get("/echo/:text", (req, res) => {
  const text = req.params.text;
  res.write("<p>" + text + "</p>"); // expect: js-express-reflected-xss
  res.end();
});
