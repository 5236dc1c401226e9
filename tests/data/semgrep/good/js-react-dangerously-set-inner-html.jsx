// Good: text children; sanitised HTML.  good: js-react-dangerously-set-inner-html
import DOMPurify from "dompurify";

export function Comment({ body }) {
  return <div className="comment">{body}</div>;
}

export function Rendered({ html }) {
  return <div dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(html) }} />;
}
