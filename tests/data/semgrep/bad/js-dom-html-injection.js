// Bad: non-literal HTML written into the page.
function showComment(el, comment) {
  el.innerHTML = comment.body; // expect: js-dom-html-injection
}

function replaceCard(card, html) {
  card.outerHTML = `<div class="card">${html}</div>`; // expect: js-dom-html-injection
}

function appendRow(table, name) {
  table.insertAdjacentHTML("beforeend", "<tr><td>" + name + "</td></tr>"); // expect: js-dom-html-injection
}

function banner() {
  document.write(location.hash.slice(1)); // expect: js-dom-html-injection
}
