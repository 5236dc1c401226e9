// Good: timers with functions.  good: js-string-timer
function poll(id) {
  setTimeout(() => refresh(id), 1000);
}

function tick(update) {
  window.setInterval(update, 500);
}
