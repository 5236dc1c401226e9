// Bad: unsanitised HTML handed to React.
import React from "react";

export function Comment({ body }) {
  return <div className="comment" dangerouslySetInnerHTML={{ __html: body }} />; // expect: js-react-dangerously-set-inner-html
}

export function Preview({ html }) {
  return React.createElement("div", { dangerouslySetInnerHTML: { __html: html } }); // expect: js-react-dangerously-set-inner-html
}
