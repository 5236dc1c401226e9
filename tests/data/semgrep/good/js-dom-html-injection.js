// Good: text content, literal markup, sanitised HTML.  good: js-dom-html-injection
import DOMPurify from "dompurify";

function showComment(el, comment) {
  el.textContent = comment.body;
}

function clear(el) {
  el.innerHTML = "";
}

function render(el, html) {
  el.innerHTML = DOMPurify.sanitize(html);
}

function footer() {
  document.write("<footer>static</footer>");
}
