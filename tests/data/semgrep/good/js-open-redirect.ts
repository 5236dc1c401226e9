// Good: fixed redirect targets.  good: js-open-redirect
import express from "express";

const app = express();
const TARGETS: Record<string, string> = { home: "/", settings: "/settings" };

app.get("/login/done", (req, res) => {
  res.redirect("/dashboard");
});

app.get("/go", (req, res) => {
  res.redirect(302, TARGETS.home);
});
