// Bad: redirect targets taken from the request.
import express from "express";

const app = express();

app.get("/login/done", (req, res) => {
  res.redirect(req.query.next as string); // expect: js-open-redirect
});

app.post("/go", (req, res) => {
  const target = req.body.url;
  res.redirect(302, target); // expect: js-open-redirect
});
