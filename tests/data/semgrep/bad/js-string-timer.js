// Bad: timers that evaluate strings.
function poll(id) {
  setTimeout("refresh(" + id + ")", 1000); // expect: js-string-timer
}

function tick(name) {
  window.setInterval(`update('${name}')`, 500); // expect: js-string-timer
}

function later() {
  setTimeout("alert('done')", 10); // expect: js-string-timer
}
