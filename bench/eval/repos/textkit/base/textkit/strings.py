"""General purpose text utilities.

This module collects the small string helpers that keep being rewritten in
every project: case conversion, whitespace handling, padding and wrapping,
slugs, shell-like tokenizing, edit distances, number formatting, escaping,
tiny templates, heredoc and merge-conflict parsing, and a handful of
miscellaneous helpers.

Every function is pure: it takes strings (and plain Python values) and returns
new values without touching global state.  Nothing here depends on anything
outside the standard library.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

#: Characters treated as word separators by the case conversion helpers.
WORD_SEPARATORS = " \t\r\n-_./:"

#: Words kept in lower case by :func:`title_case` unless they start or end
#: the title.
SMALL_WORDS = frozenset(
    "a an and as at but by en for if in nor of on or per the to v vs via".split()
)

_CAMEL_BOUNDARY = re.compile(
    r"""
    [A-Z]+(?=[A-Z][a-z])   # an acronym followed by a capitalised word: HTTPServer
    | [A-Z]?[a-z]+         # a (possibly capitalised) lower case run
    | [A-Z]+               # a trailing acronym
    | \d+                  # a run of digits
    """,
    re.VERBOSE,
)

_WHITESPACE_RUN = re.compile(r"\s+")
_BLANK_LINE_RUN = re.compile(r"\n\s*\n")


# ---------------------------------------------------------------------------
# Case conversion
# ---------------------------------------------------------------------------


def split_words(text: str) -> list[str]:
    """Split ``text`` into words, understanding camel case and separators.

    The splitter treats spaces, dashes, underscores, dots, slashes and colons
    as separators and additionally breaks camel and Pascal case words at the
    case boundaries.  Acronyms are kept together.

    >>> split_words("parseHTTPResponse_v2")
    ['parse', 'HTTP', 'Response', 'v', '2']
    >>> split_words("  hello-world  ")
    ['hello', 'world']
    """
    words: list[str] = []
    for chunk in re.split(r"[\s\-_./:]+", text):
        if not chunk:
            continue
        found = _CAMEL_BOUNDARY.findall(chunk)
        if found:
            words.extend(found)
        else:
            words.append(chunk)
    return words


def snake_case(text: str) -> str:
    """Return ``text`` in ``snake_case``.

    >>> snake_case("HTTPServerError")
    'http_server_error'
    >>> snake_case("already_snake")
    'already_snake'
    """
    return "_".join(word.lower() for word in split_words(text))


def kebab_case(text: str) -> str:
    """Return ``text`` in ``kebab-case``.

    >>> kebab_case("Hello World")
    'hello-world'
    """
    return "-".join(word.lower() for word in split_words(text))


def constant_case(text: str) -> str:
    """Return ``text`` in ``CONSTANT_CASE``.

    >>> constant_case("maxRetryCount")
    'MAX_RETRY_COUNT'
    """
    return "_".join(word.upper() for word in split_words(text))


def camel_case(text: str) -> str:
    """Return ``text`` in ``camelCase``.

    Acronyms are lowered when they start the result and capitalised
    otherwise, which matches most style guides.

    >>> camel_case("user id")
    'userId'
    >>> camel_case("HTTP response code")
    'httpResponseCode'
    """
    words = split_words(text)
    if not words:
        return ""
    head, *tail = words
    return head.lower() + "".join(word.capitalize() for word in tail)


def pascal_case(text: str) -> str:
    """Return ``text`` in ``PascalCase``.

    >>> pascal_case("user_account_id")
    'UserAccountId'
    """
    return "".join(word.capitalize() for word in split_words(text))


def dot_case(text: str) -> str:
    """Return ``text`` in ``dot.case`` (used by many configuration systems).

    >>> dot_case("Server Port")
    'server.port'
    """
    return ".".join(word.lower() for word in split_words(text))


def title_case(text: str) -> str:
    """Return ``text`` in title case, keeping small words lower case.

    Small words (articles, short prepositions and conjunctions) stay in lower
    case unless they are the first or the last word.  Words that already
    contain an upper case letter after their first character (``iPhone``,
    ``NASA``) are left untouched.

    >>> title_case("the lord of the rings")
    'The Lord of the Rings'
    >>> title_case("a tale of two cities")
    'A Tale of Two Cities'
    """
    words = text.split()
    result: list[str] = []
    last = len(words) - 1
    for index, word in enumerate(words):
        if any(ch.isupper() for ch in word[1:]):
            result.append(word)
        elif 0 < index < last and word.lower() in SMALL_WORDS:
            result.append(word.lower())
        else:
            result.append(word[:1].upper() + word[1:].lower())
    return " ".join(result)


def sentence_case(text: str) -> str:
    """Capitalise the first letter of ``text`` and lower the rest of it.

    >>> sentence_case("HELLO there, World")
    'Hello there, world'
    """
    stripped = text.strip()
    if not stripped:
        return ""
    return stripped[0].upper() + stripped[1:].lower()


def swap_case_words(text: str) -> str:
    """Swap the case of every character but keep whitespace intact.

    This differs from :meth:`str.swapcase` only in that it leaves characters
    whose swapped form has a different length (such as ``ß``) alone, so the
    result always has the same length as the input.

    >>> swap_case_words("Hello World")
    'hELLO wORLD'
    """
    out = []
    for ch in text:
        swapped = ch.swapcase()
        out.append(swapped if len(swapped) == 1 else ch)
    return "".join(out)


def is_snake_case(text: str) -> bool:
    """Return True if ``text`` is a non-empty lower ``snake_case`` word.

    >>> is_snake_case("max_value")
    True
    >>> is_snake_case("maxValue")
    False
    """
    return bool(re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*", text))


def is_camel_case(text: str) -> bool:
    """Return True if ``text`` looks like ``camelCase``.

    >>> is_camel_case("maxValue")
    True
    >>> is_camel_case("MaxValue")
    False
    """
    return bool(re.fullmatch(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)+", text))


# ---------------------------------------------------------------------------
# Whitespace
# ---------------------------------------------------------------------------


def collapse_whitespace(text: str) -> str:
    """Replace every run of whitespace with a single space and strip the ends.

    >>> collapse_whitespace("  a \\t b\\n\\nc ")
    'a b c'
    """
    return _WHITESPACE_RUN.sub(" ", text).strip()


def normalize_newlines(text: str, newline: str = "\n") -> str:
    """Convert ``\\r\\n`` and lone ``\\r`` line endings to ``newline``.

    >>> normalize_newlines("a\\r\\nb\\rc\\n")
    'a\\nb\\nc\\n'
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", newline)


def strip_trailing_whitespace(text: str) -> str:
    """Remove trailing spaces and tabs from every line of ``text``.

    The line endings themselves are preserved.

    >>> strip_trailing_whitespace("a  \\nb\\t\\n")
    'a\\nb\\n'
    """
    return re.sub(r"[ \t]+(?=\r?\n|$)", "", text)


def squeeze_blank_lines(text: str, keep: int = 1) -> str:
    """Collapse runs of blank lines so that at most ``keep`` remain.

    >>> squeeze_blank_lines("a\\n\\n\\n\\nb")
    'a\\n\\nb'
    """
    if keep < 0:
        raise ValueError("keep must be zero or positive")
    lines = text.split("\n")
    out: list[str] = []
    blank_run = 0
    for line in lines:
        if line.strip():
            blank_run = 0
            out.append(line)
            continue
        blank_run += 1
        if blank_run <= keep:
            out.append("")
    return "\n".join(out)


def common_indent(text: str) -> str:
    """Return the longest whitespace prefix shared by all non-blank lines.

    >>> common_indent("    a\\n      b\\n\\n    c")
    '    '
    """
    prefix: str | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        indent = line[: len(line) - len(line.lstrip())]
        if prefix is None:
            prefix = indent
            continue
        i = 0
        while i < len(prefix) and i < len(indent) and prefix[i] == indent[i]:
            i += 1
        prefix = prefix[:i]
    return prefix or ""


def dedent(text: str) -> str:
    """Remove the common leading whitespace from every line of ``text``.

    Unlike :func:`textwrap.dedent` this function also strips whitespace-only
    lines completely, so that editors do not complain about trailing
    whitespace in the result.

    >>> dedent("    a\\n      b")
    'a\\n  b'
    """
    indent = common_indent(text)
    out = []
    for line in text.split("\n"):
        if not line.strip():
            out.append("")
        elif line.startswith(indent):
            out.append(line[len(indent) :])
        else:
            out.append(line)
    return "\n".join(out)


def indent(text: str, prefix: str = "    ", *, blank_lines: bool = False) -> str:
    """Add ``prefix`` to the start of every line of ``text``.

    Blank lines are left empty unless ``blank_lines`` is true.

    >>> indent("a\\n\\nb", "> ")
    '> a\\n\\n> b'
    """
    out = []
    for line in text.split("\n"):
        if line.strip() or blank_lines:
            out.append(prefix + line)
        else:
            out.append(line)
    return "\n".join(out)


def expand_tabs(text: str, tabsize: int = 8) -> str:
    """Expand tabs to spaces, honouring tab stops on every line separately.

    >>> expand_tabs("a\\tb", 4)
    'a   b'
    """
    if tabsize <= 0:
        raise ValueError("tabsize must be positive")
    return "\n".join(line.expandtabs(tabsize) for line in text.split("\n"))


def leading_whitespace(line: str) -> str:
    """Return the run of whitespace at the start of ``line``.

    >>> leading_whitespace("\\t  x = 1")
    '\\t  '
    """
    return line[: len(line) - len(line.lstrip())]


def count_lines(text: str) -> int:
    """Count the lines in ``text`` the way editors do.

    An empty string has zero lines; a trailing newline does not start a new
    line.

    >>> count_lines("")
    0
    >>> count_lines("a\\nb\\n")
    2
    >>> count_lines("a\\nb")
    2
    """
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


# ---------------------------------------------------------------------------
# Display width, padding and alignment
# ---------------------------------------------------------------------------


def char_width(ch: str) -> int:
    """Return the number of terminal columns used by the character ``ch``.

    Combining marks and zero width characters take no columns, East Asian
    wide and full width characters take two, everything else takes one.

    >>> char_width("a"), char_width("\\u4e2d"), char_width("\\u0301")
    (1, 2, 0)
    """
    if not ch:
        return 0
    if unicodedata.combining(ch) or ch in "\u200b\u200c\u200d\ufeff":
        return 0
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


def display_width(text: str) -> int:
    """Return the number of terminal columns ``text`` occupies.

    >>> display_width("abc")
    3
    >>> display_width("\\u4e2d\\u6587")
    4
    """
    return sum(char_width(ch) for ch in text)


def pad_right(text: str, width: int, fill: str = " ") -> str:
    """Pad ``text`` on the right to ``width`` display columns.

    Text that is already wider than ``width`` is returned unchanged.

    >>> pad_right("ab", 4, ".")
    'ab..'
    """
    if len(fill) != 1:
        raise ValueError("fill must be a single character")
    missing = width - display_width(text)
    return text + fill * missing if missing > 0 else text


def pad_left(text: str, width: int, fill: str = " ") -> str:
    """Pad ``text`` on the left to ``width`` display columns.

    >>> pad_left("7", 3, "0")
    '007'
    """
    if len(fill) != 1:
        raise ValueError("fill must be a single character")
    missing = width - display_width(text)
    return fill * missing + text if missing > 0 else text


def pad_center(text: str, width: int, fill: str = " ") -> str:
    """Center ``text`` in ``width`` display columns.

    When the padding cannot be split evenly the extra column goes to the
    right, like :meth:`str.center` does for odd widths.

    >>> pad_center("ab", 5, "*")
    '*ab**'
    """
    if len(fill) != 1:
        raise ValueError("fill must be a single character")
    missing = width - display_width(text)
    if missing <= 0:
        return text
    left = missing // 2
    return fill * left + text + fill * (missing - left)


def align_columns(
    rows: Sequence[Sequence[str]],
    *,
    separator: str = "  ",
    align: str | None = None,
) -> list[str]:
    """Align a table of strings into columns.

    ``align`` is an optional string with one character per column: ``l`` for
    left, ``r`` for right and ``c`` for centered.  Missing entries default to
    left alignment.  Rows may have different lengths; missing cells are
    treated as empty.  Trailing whitespace is removed from every line.

    >>> align_columns([["a", "bbb"], ["cc", "d"]])
    ['a   bbb', 'cc  d']
    >>> align_columns([["1", "x"], ["100", "y"]], align="rl")
    ['  1  x', '100  y']
    """
    if not rows:
        return []
    ncols = max(len(row) for row in rows)
    widths = [0] * ncols
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    spec = (align or "").ljust(ncols, "l")
    padders = {"l": pad_right, "r": pad_left, "c": pad_center}
    lines = []
    for row in rows:
        cells = list(row) + [""] * (ncols - len(row))
        parts = []
        for i, cell in enumerate(cells):
            try:
                padder = padders[spec[i]]
            except KeyError:
                raise ValueError(f"unknown alignment {spec[i]!r}") from None
            parts.append(padder(cell, widths[i]))
        lines.append(separator.join(parts).rstrip())
    return lines


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    align: str | None = None,
) -> str:
    """Render a small plain-text table with a header rule.

    Values are converted with :func:`str`.  ``None`` is shown as an empty
    cell.

    >>> print(format_table(["name", "n"], [["a", 1], ["bb", 22]], align="lr"))
    name   n
    ----  --
    a      1
    bb    22
    """
    body = [["" if value is None else str(value) for value in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row[: len(widths)]):
            widths[i] = max(widths[i], display_width(cell))
    rule = ["-" * w for w in widths]
    return "\n".join(align_columns([list(headers), rule, *body], align=align))


def box(text: str, *, padding: int = 1) -> str:
    """Draw an ASCII box around ``text`` (which may span several lines).

    >>> print(box("hi"))
    +----+
    | hi |
    +----+
    """
    lines = text.split("\n")
    inner = max(display_width(line) for line in lines) + 2 * padding
    edge = "+" + "-" * inner + "+"
    pad = " " * padding
    body = [f"|{pad}{pad_right(line, inner - 2 * padding)}{pad}|" for line in lines]
    return "\n".join([edge, *body, edge])


# ---------------------------------------------------------------------------
# Truncation
# ---------------------------------------------------------------------------


def truncate(text: str, width: int, placeholder: str = "...") -> str:
    """Shorten ``text`` to at most ``width`` characters.

    When ``text`` is too long it is cut and ``placeholder`` is appended so
    that the result is exactly ``width`` characters long.

    >>> truncate("hello world", 8)
    'hello...'
    >>> truncate("short", 10)
    'short'
    """
    if width < 0:
        raise ValueError("width must not be negative")
    if len(text) <= width:
        return text
    if width <= len(placeholder):
        return placeholder[:width]
    return text[: width - len(placeholder)] + placeholder


def truncate_words(text: str, width: int, placeholder: str = "...") -> str:
    """Shorten ``text`` to at most ``width`` characters at a word boundary.

    If even the first word does not fit it is cut like :func:`truncate`.

    >>> truncate_words("the quick brown fox", 14)
    'the quick...'
    """
    if len(text) <= width:
        return text
    budget = width - len(placeholder)
    if budget <= 0:
        return placeholder[:width]
    cut = text[: budget + 1]
    space = cut.rfind(" ")
    if space <= 0:
        return text[:budget] + placeholder
    return cut[:space].rstrip() + placeholder


def truncate_middle(text: str, width: int, placeholder: str = "...") -> str:
    """Shorten ``text`` by removing characters from its middle.

    Useful for long paths where both the start and the end are informative.

    >>> truncate_middle("/usr/local/lib/python3.11/site-packages", 20)
    '/usr/loca...packages'
    """
    if len(text) <= width:
        return text
    budget = width - len(placeholder)
    if budget <= 0:
        return placeholder[:width]
    head = (budget + 1) // 2
    tail = budget - head
    return text[:head] + placeholder + (text[-tail:] if tail else "")


def ellipsize_lines(text: str, max_lines: int, marker: str = "...") -> str:
    """Keep at most ``max_lines`` lines of ``text``, replacing the rest.

    When lines are dropped the last kept line is replaced by ``marker`` and a
    count of the hidden lines.

    >>> ellipsize_lines("a\\nb\\nc\\nd", 3)
    'a\\nb\\n... (2 more lines)'
    """
    lines = text.split("\n")
    if len(lines) <= max_lines:
        return text
    if max_lines <= 0:
        return ""
    kept = lines[: max_lines - 1]
    hidden = len(lines) - len(kept)
    return "\n".join([*kept, f"{marker} ({hidden} more lines)"])


# ---------------------------------------------------------------------------
# Wrapping
# ---------------------------------------------------------------------------


def wrap_text(text: str, width: int = 70) -> list[str]:
    """Wrap ``text`` into lines of at most ``width`` characters.

    Words are separated by runs of whitespace.  Lines are filled greedily: a
    word goes on the current line if the line, a single space and the word
    fit within ``width`` characters.  Words longer than ``width`` are put on
    a line of their own rather than being split.

    >>> wrap_text("the quick brown fox jumps over the lazy dog", 15)
    ['the quick brown', 'fox jumps over', 'the lazy dog']
    """
    if width <= 0:
        raise ValueError("width must be positive")
    lines: list[str] = []
    current = ""
    for word in text.split():
        if not current:
            current = word
            continue
        if len(current) + 1 + len(word) < width:
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def fill(text: str, width: int = 70) -> str:
    """Wrap ``text`` and join the lines with newlines.

    >>> fill("aaa bbb ccc", 7)
    'aaa bbb\\nccc'
    """
    return "\n".join(wrap_text(text, width))


def fill_paragraphs(text: str, width: int = 70) -> str:
    """Re-wrap every paragraph of ``text`` separately.

    Paragraphs are separated by blank lines; the separation is normalised to
    a single blank line.

    >>> fill_paragraphs("a b c\\n\\n\\nd e", 3)
    'a b\\nc\\n\\nd e'
    """
    paragraphs = [p for p in _BLANK_LINE_RUN.split(text.strip()) if p.strip()]
    return "\n\n".join(fill(p, width) for p in paragraphs)


def hanging_indent(text: str, width: int, prefix: str, indent_by: int | None = None) -> str:
    """Wrap ``text`` with ``prefix`` on the first line and an indent after it.

    This is the layout used for option help in command line tools and for
    bullet lists.  The continuation lines are indented by ``indent_by``
    spaces, which defaults to the length of ``prefix``.

    >>> print(hanging_indent("one two three four", 12, "- "))
    - one two
      three four
    """
    pad = " " * (len(prefix) if indent_by is None else indent_by)
    lines = wrap_text(text, max(1, width - len(pad)))
    if not lines:
        return prefix.rstrip()
    out = [prefix + lines[0]]
    out.extend(pad + line for line in lines[1:])
    return "\n".join(out)


def justify_line(line: str, width: int) -> str:
    """Stretch ``line`` to ``width`` by widening the gaps between words.

    Extra spaces go to the leftmost gaps first.  A line with a single word,
    or one already at least ``width`` long, is returned unchanged.

    >>> justify_line("a b c", 7)
    'a  b  c'
    >>> justify_line("a b c", 8)
    'a   b  c'
    """
    words = line.split()
    if len(words) < 2 or len(line) >= width:
        return line
    gaps = len(words) - 1
    spaces = width - sum(len(w) for w in words)
    base, extra = divmod(spaces, gaps)
    out = []
    for i, word in enumerate(words[:-1]):
        out.append(word)
        out.append(" " * (base + (1 if i < extra else 0)))
    out.append(words[-1])
    return "".join(out)


def justify(text: str, width: int) -> str:
    """Wrap ``text`` and fully justify every line except the last one.

    >>> print(justify("aa b cc dd e", 8))
    aa  b cc
    dd e
    """
    lines = wrap_text(text, width)
    body = [justify_line(line, width) for line in lines[:-1]]
    return "\n".join([*body, *lines[-1:]])


def wrap_preserving_indent(text: str, width: int) -> str:
    """Wrap every line of ``text`` keeping its own leading indentation.

    Handy for re-flowing indented comments and nested lists.

    >>> print(wrap_preserving_indent("  aa bb cc", 7))
      aa bb
      cc
    """
    out: list[str] = []
    for line in text.split("\n"):
        lead = leading_whitespace(line)
        body = line[len(lead) :]
        if not body:
            out.append("")
            continue
        for piece in wrap_text(body, max(1, width - len(lead))):
            out.append(lead + piece)
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Slugs and identifiers
# ---------------------------------------------------------------------------

_TRANSLITERATIONS = {
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "ø": "o",
    "Ø": "O",
    "œ": "oe",
    "Œ": "OE",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "þ": "th",
    "Þ": "TH",
    "&": " and ",
}


def strip_accents(text: str) -> str:
    """Remove accents and transliterate a few common Latin letters.

    >>> strip_accents("Crème Brûlée à la française")
    'Creme Brulee a la francaise'
    >>> strip_accents("Straße")
    'Strasse'
    """
    text = "".join(_TRANSLITERATIONS.get(ch, ch) if ch != "&" else ch for ch in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str, separator: str = "-") -> str:
    """Turn ``text`` into a URL friendly slug.

    Accents are removed, ``&`` becomes ``and``, everything that is not an
    ASCII letter or digit becomes ``separator`` and runs of separators are
    collapsed.  The result is lower case and never starts or ends with the
    separator.

    >>> slugify("Hello, World!")
    'hello-world'
    >>> slugify("Crème brûlée & café", "_")
    'creme_brulee_and_cafe'
    """
    text = strip_accents(text.replace("&", " and "))
    text = re.sub(r"[^A-Za-z0-9]+", separator, text).lower()
    if separator:
        text = re.sub(f"(?:{re.escape(separator)})+", separator, text)
        text = text.strip(separator)
    return text


def to_identifier(text: str, *, prefix: str = "_") -> str:
    """Turn arbitrary ``text`` into a valid Python identifier.

    Characters that are not allowed become underscores; a leading digit gets
    ``prefix`` in front of it; keywords get a trailing underscore.

    >>> to_identifier("2nd value")
    '_2nd_value'
    >>> to_identifier("class")
    'class_'
    """
    import keyword

    ident = re.sub(r"\W", "_", strip_accents(text).strip())
    if not ident:
        return prefix
    if ident[0].isdigit():
        ident = prefix + ident
    if keyword.iskeyword(ident):
        ident += "_"
    return ident


def unique_name(base: str, taken: Iterable[str], *, separator: str = "-") -> str:
    """Return ``base`` or the first ``base<separator><n>`` not in ``taken``.

    Numbering starts at 2 so that the second copy of ``report`` becomes
    ``report-2``.

    >>> unique_name("report", ["report", "report-2"])
    'report-3'
    """
    used = set(taken)
    if base not in used:
        return base
    n = 2
    while f"{base}{separator}{n}" in used:
        n += 1
    return f"{base}{separator}{n}"


def initials(name: str, *, with_dots: bool = False) -> str:
    """Return the upper case initials of ``name``.

    Hyphenated names contribute one initial per part.

    >>> initials("jean-paul sartre")
    'JPS'
    >>> initials("Ada Lovelace", with_dots=True)
    'A.L.'
    """
    parts = [p for p in re.split(r"[\s\-]+", name) if p]
    letters = [p[0].upper() for p in parts]
    if with_dots:
        return "".join(f"{letter}." for letter in letters)
    return "".join(letters)


# ---------------------------------------------------------------------------
# Tokenizing and quoting
# ---------------------------------------------------------------------------


class QuoteError(ValueError):
    """Raised when a quoted string is not terminated."""


def split_quoted(text: str) -> list[str]:
    """Split ``text`` into words the way a POSIX shell would.

    Single quotes preserve everything literally, double quotes allow the
    backslash to escape ``"``, ``\\`` and ``$``, and an unquoted backslash
    escapes the next character.  Raises :class:`QuoteError` for an
    unterminated quote.

    >>> split_quoted('cp "my file.txt" dest\\\\ dir')
    ['cp', 'my file.txt', 'dest dir']
    >>> split_quoted("echo 'a  b' c")
    ['echo', 'a  b', 'c']
    """
    words: list[str] = []
    current: list[str] = []
    in_word = False
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            if in_word:
                words.append("".join(current))
                current = []
                in_word = False
            i += 1
            continue
        in_word = True
        if ch == "\\":
            if i + 1 < n:
                current.append(text[i + 1])
            i += 2
        elif ch == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise QuoteError("unterminated single quote")
            current.append(text[i + 1 : end])
            i = end + 1
        elif ch == '"':
            i += 1
            while True:
                if i >= n:
                    raise QuoteError("unterminated double quote")
                ch = text[i]
                if ch == '"':
                    i += 1
                    break
                if ch == "\\" and i + 1 < n and text[i + 1] in '"\\$':
                    current.append(text[i + 1])
                    i += 2
                    continue
                current.append(ch)
                i += 1
        else:
            current.append(ch)
            i += 1
    if in_word:
        words.append("".join(current))
    return words


_SAFE_SHELL_WORD = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def shell_quote(word: str) -> str:
    """Quote ``word`` so that a POSIX shell reads it back unchanged.

    >>> shell_quote("simple")
    'simple'
    >>> print(shell_quote("it's here"))
    'it'"'"'s here'
    """
    if not word:
        return "''"
    if _SAFE_SHELL_WORD.fullmatch(word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"


def join_quoted(words: Iterable[str]) -> str:
    """Join ``words`` into a command line, quoting where needed.

    ``split_quoted(join_quoted(words)) == list(words)`` holds for any words.

    >>> join_quoted(["ls", "-l", "My Documents"])
    "ls -l 'My Documents'"
    """
    return " ".join(shell_quote(word) for word in words)


def split_csv_line(line: str, delimiter: str = ",", quote: str = '"') -> list[str]:
    """Split one line of CSV into fields.

    Fields may be quoted; a doubled quote inside a quoted field stands for a
    literal quote.  Whitespace around fields is kept, as RFC 4180 requires.

    >>> split_csv_line('a,"b,c","say ""hi"" now",')
    ['a', 'b,c', 'say "hi" now', '']
    """
    fields: list[str] = []
    current: list[str] = []
    i = 0
    n = len(line)
    quoted = False
    while i < n:
        ch = line[i]
        if quoted:
            if ch == quote:
                if i + 1 < n and line[i + 1] == quote:
                    current.append(quote)
                    i += 2
                    continue
                quoted = False
            else:
                current.append(ch)
        elif ch == quote and not current:
            quoted = True
        elif ch == delimiter:
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    if quoted:
        raise QuoteError("unterminated quoted field")
    fields.append("".join(current))
    return fields


def join_csv_line(fields: Iterable[object], delimiter: str = ",", quote: str = '"') -> str:
    """Join ``fields`` into one line of CSV, quoting when necessary.

    >>> join_csv_line(["a", "b,c", 'say "hi" now', None])
    'a,"b,c","say ""hi"" now",'
    """
    out = []
    for value in fields:
        text = "" if value is None else str(value)
        if any(ch in text for ch in (delimiter, quote, "\n", "\r")):
            text = quote + text.replace(quote, quote * 2) + quote
        out.append(text)
    return delimiter.join(out)


_WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def tokenize_words(text: str, *, lower: bool = False) -> list[str]:
    """Extract the words from ``text``, keeping contractions together.

    >>> tokenize_words("Don't stop: it's 10 o'clock!")
    ["Don't", 'stop', "it's", '10', "o'clock"]
    """
    words = _WORD_RE.findall(text)
    return [w.lower() for w in words] if lower else words


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]*[A-Z0-9])")
_ABBREVIATIONS = frozenset("mr mrs ms dr prof sr jr st vs etc e.g i.e inc ltd no fig".split())


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences.

    A sentence ends with ``.``, ``!`` or ``?`` followed by whitespace and an
    upper case letter or digit.  A few common abbreviations (``Dr.``,
    ``e.g.``) do not end a sentence.

    >>> split_sentences("Dr. Smith arrived. He was late! Why? Nobody knows.")
    ['Dr. Smith arrived.', 'He was late!', 'Why?', 'Nobody knows.']
    """
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].strip()
        last_word = candidate.rsplit(None, 1)[-1] if candidate else ""
        if last_word.rstrip(".").lower() in _ABBREVIATIONS:
            continue
        sentences.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def word_count(text: str) -> int:
    """Count the words of ``text`` as :func:`tokenize_words` finds them.

    >>> word_count("one, two -- three")
    3
    """
    return len(tokenize_words(text))


def word_frequencies(text: str, *, top: int | None = None) -> list[tuple[str, int]]:
    """Return ``(word, count)`` pairs for ``text``, most common first.

    Words are compared case-insensitively.  Ties are ordered alphabetically so
    the result is deterministic.

    >>> word_frequencies("a b a c b a")
    [('a', 3), ('b', 2), ('c', 1)]
    """
    counts = Counter(tokenize_words(text, lower=True))
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ordered[:top] if top is not None else ordered


# ---------------------------------------------------------------------------
# Distances and similarity
# ---------------------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    """Return the Levenshtein edit distance between ``a`` and ``b``.

    Insertions, deletions and substitutions each cost one.  The
    implementation keeps only two rows of the dynamic programming table.

    >>> levenshtein("kitten", "sitting")
    3
    >>> levenshtein("", "abc")
    3
    """
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
        previous = current
    return previous[-1]


def damerau_levenshtein(a: str, b: str) -> int:
    """Return the optimal string alignment distance between ``a`` and ``b``.

    Like :func:`levenshtein`, but swapping two adjacent characters counts as
    a single edit.

    >>> damerau_levenshtein("ca", "ac")
    1
    >>> levenshtein("ca", "ac")
    2
    """
    rows = len(a) + 1
    cols = len(b) + 1
    table = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        table[i][0] = i
    for j in range(cols):
        table[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            table[i][j] = min(
                table[i - 1][j] + 1,
                table[i][j - 1] + 1,
                table[i - 1][j - 1] + cost,
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
    return table[-1][-1]


def hamming(a: str, b: str) -> int:
    """Return the number of positions at which ``a`` and ``b`` differ.

    Raises :class:`ValueError` if the strings have different lengths.

    >>> hamming("karolin", "kathrin")
    3
    """
    if len(a) != len(b):
        raise ValueError("hamming distance needs strings of equal length")
    return sum(1 for x, y in zip(a, b, strict=True) if x != y)


def jaro(a: str, b: str) -> float:
    """Return the Jaro similarity of ``a`` and ``b`` (between 0 and 1).

    >>> round(jaro("martha", "marhta"), 4)
    0.9444
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(len(a), len(b)) // 2 - 1
    window = max(window, 0)
    a_flags = [False] * len(a)
    b_flags = [False] * len(b)
    matches = 0
    for i, ch in enumerate(a):
        lo = max(0, i - window)
        hi = min(len(b), i + window + 1)
        for j in range(lo, hi):
            if not b_flags[j] and b[j] == ch:
                a_flags[i] = b_flags[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    a_matched = [ch for ch, flag in zip(a, a_flags, strict=True) if flag]
    b_matched = [ch for ch, flag in zip(b, b_flags, strict=True) if flag]
    transpositions = sum(1 for x, y in zip(a_matched, b_matched, strict=True) if x != y) / 2
    return (matches / len(a) + matches / len(b) + (matches - transpositions) / matches) / 3


def jaro_winkler(a: str, b: str, *, prefix_weight: float = 0.1) -> float:
    """Return the Jaro-Winkler similarity, which favours common prefixes.

    At most four characters of common prefix are taken into account.

    >>> round(jaro_winkler("martha", "marhta"), 4)
    0.9611
    """
    score = jaro(a, b)
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return score + prefix * prefix_weight * (1 - score)


def lcs_length(a: Sequence[object], b: Sequence[object]) -> int:
    """Return the length of the longest common subsequence of ``a`` and ``b``.

    Works for any sequences, not only strings.

    >>> lcs_length("ABCBDAB", "BDCABA")
    4
    """
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, 1):
            if x == y:
                current.append(previous[j - 1] + 1)
            else:
                current.append(max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def similarity(a: str, b: str) -> float:
    """Return a similarity ratio between 0 and 1 based on edit distance.

    >>> similarity("abc", "abc")
    1.0
    >>> similarity("abcd", "abce")
    0.75
    """
    longest = max(len(a), len(b))
    if longest == 0:
        return 1.0
    return 1 - levenshtein(a, b) / longest


def closest_matches(
    word: str, candidates: Iterable[str], *, limit: int = 3, cutoff: float = 0.6
) -> list[str]:
    """Return the candidates most similar to ``word``, best first.

    Only candidates with a :func:`similarity` of at least ``cutoff`` are
    returned.  Ties keep the order of ``candidates``.  Comparison is case
    insensitive.  This is the helper behind "did you mean ...?" messages.

    >>> closest_matches("colour", ["color", "collar", "cooler", "dolor"])
    ['color', 'collar', 'dolor']
    """
    scored = []
    lowered = word.lower()
    for index, candidate in enumerate(candidates):
        score = similarity(lowered, candidate.lower())
        if score >= cutoff:
            scored.append((-score, index, candidate))
    scored.sort()
    return [candidate for _, _, candidate in scored[:limit]]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return a "did you mean" suggestion for ``word`` or an empty string.

    >>> did_you_mean("isntall", ["install", "uninstall", "list"])
    "did you mean 'install'?"
    """
    matches = closest_matches(word, candidates, limit=1)
    return f"did you mean {matches[0]!r}?" if matches else ""


# ---------------------------------------------------------------------------
# Phonetic codes
# ---------------------------------------------------------------------------

_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


def soundex(name: str) -> str:
    """Return the American Soundex code of ``name``.

    Letters other than A-Z are ignored.  ``H`` and ``W`` do not separate
    letters with the same code, vowels do.

    >>> soundex("Robert"), soundex("Rupert"), soundex("Tymczak"), soundex("Pfister")
    ('R163', 'R163', 'T522', 'P236')
    """
    letters = [ch for ch in strip_accents(name).lower() if "a" <= ch <= "z"]
    if not letters:
        return ""
    first = letters[0]
    digits = []
    previous = _SOUNDEX_CODES.get(first, "")
    for ch in letters[1:]:
        code = _SOUNDEX_CODES.get(ch, "")
        if code and code != previous:
            digits.append(code)
        if ch not in "hw":
            previous = code
    return (first.upper() + "".join(digits) + "000")[:4]


def sounds_like(a: str, b: str) -> bool:
    """Return True if ``a`` and ``b`` share a Soundex code.

    >>> sounds_like("Smith", "Smyth")
    True
    """
    return bool(a and b) and soundex(a) == soundex(b)


# ---------------------------------------------------------------------------
# Numbers in text
# ---------------------------------------------------------------------------

_ROMAN_NUMERALS = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def int_to_roman(number: int) -> str:
    """Return the Roman numeral for ``number`` (1 to 3999).

    >>> int_to_roman(1994)
    'MCMXCIV'
    """
    if not isinstance(number, int) or isinstance(number, bool):
        raise TypeError("number must be an int")
    if not 0 < number < 4000:
        raise ValueError("Roman numerals cover 1 to 3999")
    out = []
    for value, symbol in _ROMAN_NUMERALS:
        count, number = divmod(number, value)
        out.append(symbol * count)
    return "".join(out)


def roman_to_int(numeral: str) -> int:
    """Return the value of the Roman numeral ``numeral``.

    Lower case numerals are accepted.  Malformed numerals raise
    :class:`ValueError`.

    >>> roman_to_int("MCMXCIV")
    1994
    >>> roman_to_int("xlii")
    42
    """
    numeral = numeral.strip().upper()
    if not numeral:
        raise ValueError("empty Roman numeral")
    total = 0
    previous = 0
    for ch in reversed(numeral):
        value = _ROMAN_VALUES[ch]
        if value < previous:
            total -= value
        else:
            total += value
            previous = value
    return total


def ordinal(number: int) -> str:
    """Return ``number`` with its English ordinal suffix.

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 102, 111)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '102nd', '111th']
    """
    if 10 <= abs(number) % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(abs(number) % 10, "th")
    return f"{number}{suffix}"


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))


def _words_below_thousand(number: int) -> str:
    hundreds, rest = divmod(number, 100)
    parts = []
    if hundreds:
        parts.append(f"{_ONES[hundreds]} hundred")
    if rest:
        if rest < 20:
            parts.append(_ONES[rest])
        else:
            tens, ones = divmod(rest, 10)
            parts.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    return " and ".join(parts) if hundreds and rest else " ".join(parts)


def number_to_words(number: int) -> str:
    """Spell out an integer in (British) English words.

    >>> number_to_words(0)
    'zero'
    >>> number_to_words(1_002_345)
    'one million two thousand three hundred and forty-five'
    >>> number_to_words(-17)
    'minus seventeen'
    """
    if number == 0:
        return "zero"
    if number < 0:
        return "minus " + number_to_words(-number)
    parts = []
    for scale, name in _SCALES:
        count, number = divmod(number, scale)
        if count:
            parts.append(f"{number_to_words(count)} {name}")
    if number:
        parts.append(_words_below_thousand(number))
    return " ".join(parts)


def format_thousands(number: float | int, separator: str = ",", decimals: int | None = None) -> str:
    """Format ``number`` with a thousands separator.

    >>> format_thousands(1234567)
    '1,234,567'
    >>> format_thousands(-1234.5, " ", 2)
    '-1 234.50'
    """
    text = f"{number:,}" if decimals is None else f"{number:,.{decimals}f}"
    return text.replace(",", separator)


_HUMAN_SUFFIXES = {"k": 10**3, "m": 10**6, "b": 10**9, "g": 10**9, "t": 10**12}


def parse_human_number(text: str) -> float:
    """Parse numbers such as ``"1.5k"``, ``"2M"`` or ``"1,200"``.

    >>> parse_human_number("1.5k")
    1500.0
    >>> parse_human_number("3,200")
    3200.0
    """
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned:
        raise ValueError("empty number")
    multiplier = 1
    suffix = cleaned[-1].lower()
    if suffix in _HUMAN_SUFFIXES:
        multiplier = _HUMAN_SUFFIXES[suffix]
        cleaned = cleaned[:-1]
    try:
        return float(cleaned) * multiplier
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None


def human_count(number: float, *, precision: int = 1) -> str:
    """Abbreviate a large count: ``1500`` becomes ``"1.5k"``.

    Trailing zero decimals are dropped.

    >>> human_count(999), human_count(1500), human_count(2_000_000)
    ('999', '1.5k', '2M')
    """
    for scale, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "k")):
        if abs(number) >= scale:
            text = f"{number / scale:.{precision}f}".rstrip("0").rstrip(".")
            return text + suffix
    return f"{number:g}"


# ---------------------------------------------------------------------------
# English inflection
# ---------------------------------------------------------------------------

_IRREGULAR_PLURALS = {
    "child": "children",
    "foot": "feet",
    "goose": "geese",
    "man": "men",
    "mouse": "mice",
    "person": "people",
    "tooth": "teeth",
    "woman": "women",
    "ox": "oxen",
    "datum": "data",
    "index": "indices",
    "matrix": "matrices",
    "vertex": "vertices",
    "criterion": "criteria",
    "analysis": "analyses",
    "crisis": "crises",
}
_UNCOUNTABLE = frozenset("equipment information rice money species series fish sheep deer".split())
_IRREGULAR_SINGULARS = {plural: singular for singular, plural in _IRREGULAR_PLURALS.items()}


def _match_case(template: str, word: str) -> str:
    if template.isupper() and len(template) > 1:
        return word.upper()
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def pluralize(word: str) -> str:
    """Return the English plural of ``word``.

    Handles the common regular rules, a list of irregular nouns and
    uncountable nouns.  The case of the input is preserved.

    >>> [pluralize(w) for w in ("cat", "box", "city", "day", "Knife", "child", "sheep")]
    ['cats', 'boxes', 'cities', 'days', 'Knives', 'children', 'sheep']
    """
    lower = word.lower()
    if not lower or lower in _UNCOUNTABLE:
        return word
    if lower in _IRREGULAR_PLURALS:
        return _match_case(word, _IRREGULAR_PLURALS[lower])
    if re.search(r"(s|x|z|ch|sh)$", lower):
        plural = lower + "es"
    elif re.search(r"[^aeiou]y$", lower):
        plural = lower[:-1] + "ies"
    elif lower.endswith("fe"):
        plural = lower[:-2] + "ves"
    elif re.search(r"(?:[^f]f|lf|af)$", lower) and lower not in ("roof", "chief", "belief"):
        plural = lower[:-1] + "ves"
    else:
        plural = lower + "s"
    return _match_case(word, plural)


def singularize(word: str) -> str:
    """Return the English singular of ``word`` (best effort).

    >>> [singularize(w) for w in ("cats", "boxes", "cities", "knives", "children")]
    ['cat', 'box', 'city', 'knife', 'child']
    """
    lower = word.lower()
    if not lower or lower in _UNCOUNTABLE:
        return word
    if lower in _IRREGULAR_SINGULARS:
        return _match_case(word, _IRREGULAR_SINGULARS[lower])
    if lower.endswith("ies") and len(lower) > 3:
        singular = lower[:-3] + "y"
    elif lower.endswith("ives"):
        singular = lower[:-3] + "fe"
    elif lower.endswith("ves"):
        singular = lower[:-3] + "f"
    elif re.search(r"(s|x|z|ch|sh)es$", lower):
        singular = lower[:-2]
    elif lower.endswith("s") and not lower.endswith("ss"):
        singular = lower[:-1]
    else:
        singular = lower
    return _match_case(word, singular)


def plural_count(count: int, word: str, plural: str | None = None) -> str:
    """Return ``"<count> <word>"`` with the word pluralised when needed.

    >>> plural_count(1, "file"), plural_count(3, "file"), plural_count(0, "index")
    ('1 file', '3 files', '0 indices')
    """
    if count == 1:
        return f"{count} {word}"
    return f"{count} {plural or pluralize(word)}"


def humanize_list(items: Sequence[str], conjunction: str = "and", *, oxford: bool = True) -> str:
    """Join ``items`` into an English list.

    >>> humanize_list(["a"]), humanize_list(["a", "b"]), humanize_list(["a", "b", "c"])
    ('a', 'a and b', 'a, b, and c')
    >>> humanize_list(["x", "y", "z"], "or", oxford=False)
    'x, y or z'
    """
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} {conjunction} {items[1]}"
    comma = "," if oxford else ""
    return f"{', '.join(items[:-1])}{comma} {conjunction} {items[-1]}"


def article(word: str) -> str:
    """Return ``"a"`` or ``"an"`` for ``word`` based on its first sound.

    A few common exceptions (``hour``, ``honest``, ``university``, ``one``)
    are handled; acronyms are judged by how their first letter is spoken.

    >>> [article(w) for w in ("apple", "banana", "hour", "university", "FBI", "URL")]
    ['an', 'a', 'an', 'a', 'an', 'a']
    """
    lower = word.lower()
    if not lower:
        return "a"
    if re.match(r"(hour|honest|honou?r|heir)", lower):
        return "an"
    if re.match(r"(uni|use|usu|eu|one|once|ubiq|ewe)", lower) and not word.isupper():
        return "a"
    if word.isupper() and len(word) > 1:
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    return "an" if lower[0] in "aeiou" else "a"


# ---------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------

_HTML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
_HTML_ENTITIES = {
    "amp": "&",
    "lt": "<",
    "gt": ">",
    "quot": '"',
    "apos": "'",
    "nbsp": "\u00a0",
    "copy": "\u00a9",
    "reg": "\u00ae",
    "hellip": "\u2026",
    "mdash": "\u2014",
    "ndash": "\u2013",
}
_ENTITY_RE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z]+);")


def escape_html(text: str, *, quote: bool = True) -> str:
    """Escape the HTML special characters in ``text``.

    With ``quote`` false, quotes are left alone (enough for element text but
    not for attribute values).

    >>> escape_html('<a href="x">Tom & Jerry</a>')
    '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&lt;/a&gt;'
    """
    table = _HTML_ESCAPES if quote else {k: v for k, v in _HTML_ESCAPES.items() if k in "&<>"}
    return "".join(table.get(ch, ch) for ch in text)


def unescape_html(text: str) -> str:
    """Replace HTML character references in ``text`` by the characters.

    Numeric references and a small set of named entities are understood;
    unknown entities are left untouched.

    >>> unescape_html("Tom &amp; Jerry &#8212; &lt;3 &unknown;")
    'Tom & Jerry \\u2014 <3 &unknown;'
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith(("#x", "#X")):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return _HTML_ENTITIES.get(name, match.group(0))

    return _ENTITY_RE.sub(replace, text)


def strip_tags(html: str) -> str:
    """Remove HTML tags from ``html`` and unescape entities.

    Script and style elements are removed together with their contents.
    This is not a sanitizer: use it to extract text, not to make markup safe.

    >>> strip_tags("<p>Hello <b>world</b><script>x()</script></p>")
    'Hello world'
    """
    html = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", "", html)
    html = re.sub(r"(?s)<!--.*?-->", "", html)
    html = re.sub(r"<[^>]+>", "", html)
    return unescape_html(html)


_C_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\0": "\\0",
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\v": "\\v",
}
_C_UNESCAPES = {v[1]: k for k, v in _C_ESCAPES.items()}


def c_escape(text: str) -> str:
    """Escape ``text`` for use inside a C (or JSON-like) string literal.

    Non printable characters are written as ``\\xNN`` or ``\\uNNNN``.

    >>> c_escape('say "hi"\\n')
    'say \\\\"hi\\\\"\\\\n'
    """
    out = []
    for ch in text:
        if ch in _C_ESCAPES:
            out.append(_C_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


def c_unescape(text: str) -> str:
    """Undo :func:`c_escape`.

    Raises :class:`ValueError` for an unknown or truncated escape.

    >>> c_unescape('tab\\\\there\\\\x21')
    'tab\\there!'
    """
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(text):
            raise ValueError("dangling backslash")
        code = text[i + 1]
        if code in _C_UNESCAPES:
            out.append(_C_UNESCAPES[code])
            i += 2
        elif code in "xu":
            length = 2 if code == "x" else 4
            digits = text[i + 2 : i + 2 + length]
            if len(digits) != length or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise ValueError(f"bad \\{code} escape at offset {i}")
            out.append(chr(int(digits, 16)))
            i += 2 + length
        else:
            raise ValueError(f"unknown escape \\{code} at offset {i}")
    return "".join(out)


def quote_string(text: str, quote: str = '"') -> str:
    """Wrap ``text`` in ``quote`` characters, escaping as :func:`c_escape`.

    >>> quote_string("it's")
    '"it\\'s"'
    """
    escaped = c_escape(text)
    if quote == "'":
        escaped = escaped.replace('\\"', '"').replace("'", "\\'")
    return f"{quote}{escaped}{quote}"


def escape_markdown(text: str) -> str:
    """Backslash-escape the characters that Markdown treats specially.

    >>> escape_markdown("2 * 3 = _6_")
    '2 \\\\* 3 = \\\\_6\\\\_'
    """
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|>~])", r"\\\1", text)


def visible(text: str) -> str:
    """Make whitespace and control characters visible, for debugging.

    Spaces become ``·``, tabs ``→`` and newlines ``↵`` followed by the
    newline; other control characters are shown as ``\\xNN``.

    >>> visible("a b\\tc")
    'a·b→c'
    """
    out = []
    for ch in text:
        if ch == " ":
            out.append("\u00b7")
        elif ch == "\t":
            out.append("\u2192")
        elif ch == "\n":
            out.append("\u21b5\n")
        elif not ch.isprintable():
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------


class TemplateError(KeyError):
    """Raised when a template refers to a name that has no value."""


_PLACEHOLDER = re.compile(
    r"""
    \$(?:
        (?P<escaped>\$)                              # $$ is a literal dollar
      | \{(?P<braced>[A-Za-z_][\w.]*)(?::-(?P<default>[^}]*))?\}   # ${name} or ${name:-default}
      | (?P<named>[A-Za-z_]\w*)                      # $name
    )
    """,
    re.VERBOSE,
)


def _lookup(values: dict[str, object], dotted: str) -> object:
    current: object = values
    for part in dotted.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif hasattr(current, part) and not part.startswith("_"):
            current = getattr(current, part)
        else:
            raise TemplateError(dotted)
    return current


def render(template: str, values: dict[str, object] | None = None, /, **kwargs: object) -> str:
    """Substitute ``$name`` and ``${name}`` placeholders in ``template``.

    Braced names may use dots to reach into nested dictionaries or
    attributes (``${user.name}``) and may carry a shell-style default
    (``${port:-8080}``).  ``$$`` produces a literal dollar.  A name with no
    value and no default raises :class:`TemplateError`.

    >>> render("Hello $name, you owe $$${amount:-0}", name="Ada")
    'Hello Ada, you owe $0'
    >>> render("${user.name} <${user.email}>", {"user": {"name": "Ada", "email": "a@x"}})
    'Ada <a@x>'
    """
    scope = dict(values or {})
    scope.update(kwargs)

    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("named")
        try:
            return str(_lookup(scope, name))
        except TemplateError:
            default = match.group("default")
            if default is not None:
                return default
            raise

    return _PLACEHOLDER.sub(replace, template)


def placeholders(template: str) -> list[str]:
    """Return the placeholder names used in ``template``, in order, once each.

    >>> placeholders("$a ${b.c} $$ $a ${d:-x}")
    ['a', 'b.c', 'd']
    """
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(template):
        name = match.group("braced") or match.group("named")
        if name:
            seen.setdefault(name, None)
    return list(seen)


def render_lines(template: str, rows: Iterable[dict[str, object]]) -> list[str]:
    """Render ``template`` once for every mapping in ``rows``.

    >>> render_lines("$n=$v", [{"n": "a", "v": 1}, {"n": "b", "v": 2}])
    ['a=1', 'b=2']
    """
    return [render(template, row) for row in rows]


# ---------------------------------------------------------------------------
# Heredocs
# ---------------------------------------------------------------------------


@dataclass
class Heredoc:
    """A here-document found in a shell script.

    ``line`` is the 1-based number of the line holding the ``<<`` operator,
    ``delimiter`` the terminating word, ``body`` the text between the
    operator line and the delimiter line (with a trailing newline when the
    body is not empty), ``quoted`` whether the delimiter was quoted (which
    disables expansion in the body) and ``strip_tabs`` whether the ``<<-``
    form was used.
    """

    line: int
    delimiter: str
    body: str
    quoted: bool = False
    strip_tabs: bool = False


_HEREDOC_OP = re.compile(
    r"""(?<!<)<<(?P<dash>-)?(?!<)\s*(?P<word>'[^'\n]*'|"[^"\n]*"|\\?[A-Za-z_][\w.-]*)"""
)


def find_heredocs(script: str) -> list[Heredoc]:
    """Find the here-documents in a shell ``script``.

    Understands ``<<WORD``, ``<<-WORD`` (leading tabs of the body and the
    terminator are removed) and quoted delimiters (``<<'EOF'``,
    ``<<"EOF"``, ``<<\\EOF``).  Several heredocs may start on the same line;
    their bodies follow one another.  Here-strings (``<<<``) are not
    heredocs and are ignored.  A heredoc whose terminator is missing runs to
    the end of the script, as in bash.

    For example, in this script::

        cat <<EOF > notes.txt
        hello $USER
        EOF
        grep -c x <<< "$data"

    one heredoc is found: ``Heredoc(line=1, delimiter='EOF', body='hello $USER\\n')``.
    """
    lines = script.split("\n")
    found: list[Heredoc] = []
    index = 0
    while index < len(lines):
        pending = []
        for match in _HEREDOC_OP.finditer(lines[index]):
            word = match.group("word")
            quoted = word[0] in "'\"\\"
            delimiter = word.strip("'\"").lstrip("\\")
            pending.append((delimiter, quoted, bool(match.group("dash"))))
        start = index + 1
        index += 1
        for delimiter, quoted, strip_tabs in pending:
            body: list[str] = []
            while index < len(lines):
                candidate = lines[index].lstrip("\t") if strip_tabs else lines[index]
                index += 1
                if candidate == delimiter:
                    break
                body.append(candidate)
            text = "\n".join(body) + ("\n" if body else "")
            found.append(Heredoc(start, delimiter, text, quoted, strip_tabs))
    return found


def make_heredoc(body: str, delimiter: str = "EOF", *, quoted: bool = True) -> str:
    """Build a ``<<EOF`` here-document holding ``body`` for a shell script.

    The delimiter is changed (``EOF_1``, ``EOF_2`` ...) if it occurs as a
    line of ``body``.

    >>> print(make_heredoc("a\\nb"))
    <<'EOF'
    a
    b
    EOF
    """
    lines = body.split("\n")
    word = delimiter
    n = 0
    while word in lines:
        n += 1
        word = f"{delimiter}_{n}"
    opener = f"<<'{word}'" if quoted else f"<<{word}"
    text = body if body.endswith("\n") or not body else body + "\n"
    return f"{opener}\n{text}{word}"


# ---------------------------------------------------------------------------
# Merge conflicts
# ---------------------------------------------------------------------------

CONFLICT_START = "<" * 7
CONFLICT_BASE = "|" * 7
CONFLICT_SEPARATOR = "=" * 7
CONFLICT_END = ">" * 7


class ConflictParseError(ValueError):
    """Raised for unbalanced merge conflict markers."""


@dataclass
class Conflict:
    """One conflicted region of a file as written by ``git merge``.

    ``start`` is the 1-based line number of the ``<<<<<<<`` marker,
    ``ours`` and ``theirs`` the lines of the two sides (without line
    endings) and the labels the text following the markers (often a branch
    name or a commit).
    """

    start: int
    ours: list[str] = field(default_factory=list)
    theirs: list[str] = field(default_factory=list)
    ours_label: str = ""
    theirs_label: str = ""


def _marker(line: str, marker: str) -> str | None:
    """Return the label after ``marker`` if ``line`` is that marker line."""
    if not line.startswith(marker):
        return None
    rest = line[len(marker) :]
    if rest and not rest[0].isspace():
        return None
    return rest.strip()


def has_conflicts(text: str) -> bool:
    """Return True if ``text`` contains a merge conflict start marker.

    >>> has_conflicts("a\\n<<<<<<< HEAD\\nb\\n=======\\nc\\n>>>>>>> topic\\n")
    True
    """
    return any(_marker(line, CONFLICT_START) is not None for line in text.splitlines())


def parse_conflicts(text: str) -> list[Conflict]:
    """Return the conflicted regions of ``text``.

    A region looks like this (the default ``merge`` conflict style)::

        <<<<<<< HEAD
        our line
        =======
        their line
        >>>>>>> feature

    Raises :class:`ConflictParseError` when markers are unbalanced, for
    example a ``=======`` outside a region or a region that is never closed.
    """
    conflicts: list[Conflict] = []
    current: Conflict | None = None
    side = ""
    for number, line in enumerate(text.splitlines(), 1):
        label = _marker(line, CONFLICT_START)
        if label is not None:
            if current is not None:
                raise ConflictParseError(f"line {number}: nested conflict start")
            current = Conflict(start=number, ours_label=label)
            side = "ours"
            continue
        if current is None:
            if _marker(line, CONFLICT_SEPARATOR) == "" or _marker(line, CONFLICT_END) is not None:
                raise ConflictParseError(f"line {number}: conflict marker outside a conflict")
            continue
        if side == "ours" and _marker(line, CONFLICT_SEPARATOR) == "":
            side = "theirs"
            continue
        label = _marker(line, CONFLICT_END)
        if label is not None and side == "theirs":
            current.theirs_label = label
            conflicts.append(current)
            current = None
            side = ""
            continue
        if side == "ours":
            current.ours.append(line)
        else:
            current.theirs.append(line)
    if current is not None:
        raise ConflictParseError(f"line {current.start}: conflict is never closed")
    return conflicts


def resolve_conflicts(text: str, side: str) -> str:
    """Resolve every conflict in ``text`` by keeping one side.

    ``side`` is ``"ours"``, ``"theirs"`` or ``"both"`` (ours followed by
    theirs, the ``union`` merge strategy).  Lines outside conflicts are kept
    as they are; the line ending of the result follows the input.

    >>> resolve_conflicts("a\\n<<<<<<< HEAD\\nb\\n=======\\nc\\n>>>>>>> x\\nd\\n", "theirs")
    'a\\nc\\nd\\n'
    """
    if side not in ("ours", "theirs", "both"):
        raise ValueError("side must be 'ours', 'theirs' or 'both'")
    conflicts = {c.start: c for c in parse_conflicts(text)}
    lines = text.splitlines()
    out: list[str] = []
    number = 0
    while number < len(lines):
        conflict = conflicts.get(number + 1)
        if conflict is None:
            out.append(lines[number])
            number += 1
            continue
        if side in ("ours", "both"):
            out.extend(conflict.ours)
        if side in ("theirs", "both"):
            out.extend(conflict.theirs)
        while _marker(lines[number], CONFLICT_END) is None:
            number += 1
        number += 1
    trailing = "\n" if text.endswith("\n") else ""
    return "\n".join(out) + trailing


def conflict_summary(text: str) -> str:
    """Describe the conflicts in ``text`` in one line per region.

    >>> print(conflict_summary("<<<<<<< HEAD\\nb\\n=======\\n>>>>>>> x\\n"))
    line 1: HEAD +1 / x +0
    """
    out = []
    for c in parse_conflicts(text):
        out.append(f"line {c.start}: {c.ours_label} +{len(c.ours)} / {c.theirs_label} +{len(c.theirs)}")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Line based comparison
# ---------------------------------------------------------------------------


@dataclass
class LineChange:
    """One entry of a line diff: ``op`` is ``" "``, ``"-"`` or ``"+"``."""

    op: str
    text: str


def line_diff(old: str, new: str) -> list[LineChange]:
    """Compute a minimal line diff between ``old`` and ``new``.

    Uses the classic longest-common-subsequence table, which is quadratic in
    the number of lines: fine for configuration files and short documents,
    not for large files.  Deletions are listed before insertions at the same
    position.

    >>> [(c.op, c.text) for c in line_diff("a\\nb\\nc", "a\\nc\\nd")]
    [(' ', 'a'), ('-', 'b'), (' ', 'c'), ('+', 'd')]
    """
    a = old.splitlines()
    b = new.splitlines()
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            if a[i] == b[j]:
                table[i][j] = table[i + 1][j + 1] + 1
            else:
                table[i][j] = max(table[i + 1][j], table[i][j + 1])
    changes: list[LineChange] = []
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            changes.append(LineChange(" ", a[i]))
            i += 1
            j += 1
        elif table[i + 1][j] >= table[i][j + 1]:
            changes.append(LineChange("-", a[i]))
            i += 1
        else:
            changes.append(LineChange("+", b[j]))
            j += 1
    changes.extend(LineChange("-", line) for line in a[i:])
    changes.extend(LineChange("+", line) for line in b[j:])
    return changes


def diff_stats(old: str, new: str) -> tuple[int, int]:
    """Return ``(added, removed)`` line counts between ``old`` and ``new``.

    >>> diff_stats("a\\nb\\nc", "a\\nc\\nd\\ne")
    (2, 1)
    """
    changes = line_diff(old, new)
    added = sum(1 for c in changes if c.op == "+")
    removed = sum(1 for c in changes if c.op == "-")
    return added, removed


def format_diff(changes: Iterable[LineChange], *, context: int | None = None) -> str:
    """Render ``changes`` as ``-``/``+``/`` `` prefixed lines.

    With ``context`` set, unchanged lines further than ``context`` lines from
    any change are replaced by a single ``...`` line.

    >>> print(format_diff(line_diff("a\\nb", "a\\nc")))
     a
    -b
    +c
    """
    items = list(changes)
    if context is None:
        return "\n".join(f"{c.op}{c.text}" for c in items)
    changed = [i for i, c in enumerate(items) if c.op != " "]
    keep = set()
    for i in changed:
        keep.update(range(max(0, i - context), min(len(items), i + context + 1)))
    out = []
    skipping = False
    for i, c in enumerate(items):
        if i in keep:
            out.append(f"{c.op}{c.text}")
            skipping = False
        elif not skipping:
            out.append("...")
            skipping = True
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Positions
# ---------------------------------------------------------------------------


def line_starts(text: str) -> list[int]:
    """Return the offsets at which the lines of ``text`` start.

    >>> line_starts("ab\\ncd\\n\\ne")
    [0, 3, 6, 7]
    """
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())
    if starts[-1] == len(text) and len(starts) > 1:
        starts.pop()
    return starts


def offset_to_position(text: str, offset: int) -> tuple[int, int]:
    """Convert a character ``offset`` into a 1-based ``(line, column)``.

    >>> offset_to_position("ab\\ncd", 4)
    (2, 2)
    """
    if not 0 <= offset <= len(text):
        raise IndexError("offset out of range")
    line = text.count("\n", 0, offset) + 1
    last_newline = text.rfind("\n", 0, offset)
    return line, offset - last_newline


def position_to_offset(text: str, line: int, column: int) -> int:
    """Convert a 1-based ``(line, column)`` into a character offset.

    >>> position_to_offset("ab\\ncd", 2, 2)
    4
    """
    if line < 1 or column < 1:
        raise IndexError("line and column are 1-based")
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    if line > len(starts):
        raise IndexError("line out of range")
    offset = starts[line - 1] + column - 1
    end = starts[line] - 1 if line < len(starts) else len(text)
    if offset > end:
        raise IndexError("column out of range")
    return offset


def caret_line(line: str, column: int, length: int = 1) -> str:
    """Return ``line`` with a second line of carets under ``column``.

    Tabs in the prefix are copied so that the carets line up in terminals.

    >>> print(caret_line("x = fooo(1)", 5, 4))
    x = fooo(1)
        ^^^^
    """
    prefix = "".join(ch if ch == "\t" else " " for ch in line[: column - 1])
    return f"{line}\n{prefix}{'^' * max(1, length)}"


# ---------------------------------------------------------------------------
# Searching and replacing
# ---------------------------------------------------------------------------


def find_all(text: str, sub: str, *, overlapping: bool = False) -> list[int]:
    """Return every offset at which ``sub`` occurs in ``text``.

    >>> find_all("aaaa", "aa")
    [0, 2]
    >>> find_all("aaaa", "aa", overlapping=True)
    [0, 1, 2]
    """
    if not sub:
        raise ValueError("empty search string")
    found = []
    start = 0
    step = 1 if overlapping else len(sub)
    while True:
        index = text.find(sub, start)
        if index < 0:
            return found
        found.append(index)
        start = index + step


def replace_many(text: str, replacements: dict[str, str]) -> str:
    """Apply several replacements in a single pass.

    Longer keys win over shorter ones that start at the same position, and
    replaced text is never scanned again, so ``{"a": "b", "b": "a"}`` swaps
    letters instead of undoing itself.

    >>> replace_many("cat and dog", {"cat": "dog", "dog": "cat"})
    'dog and cat'
    """
    if not replacements:
        return text
    keys = sorted(replacements, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(k) for k in keys))
    return pattern.sub(lambda m: replacements[m.group(0)], text)


def replace_ignore_case(text: str, old: str, new: str) -> str:
    """Replace ``old`` by ``new`` regardless of case.

    >>> replace_ignore_case("Hello HELLO hello", "hello", "bye")
    'bye bye bye'
    """
    return re.sub(re.escape(old), lambda _m: new, text, flags=re.IGNORECASE)


def replace_preserving_case(text: str, old: str, new: str) -> str:
    """Replace ``old`` by ``new`` case-insensitively, copying the case style.

    An all upper case match gets an upper case replacement, a capitalised
    match a capitalised one, everything else the replacement as given.

    >>> replace_preserving_case("Color color COLOR", "color", "colour")
    'Colour colour COLOUR'
    """

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        if found.isupper() and len(found) > 1:
            return new.upper()
        if found[:1].isupper():
            return new[:1].upper() + new[1:]
        return new

    return re.sub(re.escape(old), replace, text, flags=re.IGNORECASE)


def between(text: str, start: str, end: str) -> str | None:
    """Return the text between the first ``start`` and the next ``end``.

    >>> between("key=[value] rest", "[", "]")
    'value'
    >>> between("nothing here", "[", "]") is None
    True
    """
    i = text.find(start)
    if i < 0:
        return None
    i += len(start)
    j = text.find(end, i)
    if j < 0:
        return None
    return text[i:j]


def remove_prefix_any(text: str, prefixes: Iterable[str]) -> str:
    """Remove the longest of ``prefixes`` that ``text`` starts with.

    >>> remove_prefix_any("refs/heads/main", ["refs/", "refs/heads/"])
    'main'
    """
    best = ""
    for prefix in prefixes:
        if text.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return text[len(best) :]


def remove_suffix_any(text: str, suffixes: Iterable[str]) -> str:
    """Remove the longest of ``suffixes`` that ``text`` ends with.

    >>> remove_suffix_any("archive.tar.gz", [".gz", ".tar.gz"])
    'archive'
    """
    best = ""
    for suffix in suffixes:
        if suffix and text.endswith(suffix) and len(suffix) > len(best):
            best = suffix
    return text[: len(text) - len(best)]


def wildcard_match(pattern: str, text: str, *, case_sensitive: bool = True) -> bool:
    """Match ``text`` against a glob ``pattern`` with ``*``, ``?`` and ``[...]``.

    Unlike :mod:`fnmatch` the behaviour does not depend on the operating
    system.

    >>> wildcard_match("*.py", "setup.py"), wildcard_match("data-??.csv", "data-1.csv")
    (True, False)
    """
    regex = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            regex.append(".*")
        elif ch == "?":
            regex.append(".")
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                regex.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                regex.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
                i = end
        else:
            regex.append(re.escape(ch))
        i += 1
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.fullmatch("".join(regex), text, flags) is not None


# ---------------------------------------------------------------------------
# N-grams and set similarity
# ---------------------------------------------------------------------------


def ngrams(items: Sequence[str] | str, n: int) -> list[tuple[str, ...]]:
    """Return the ``n``-grams of ``items`` (characters of a string or words).

    >>> ngrams("abcd", 2)
    [('a', 'b'), ('b', 'c'), ('c', 'd')]
    >>> ngrams(["to", "be", "or"], 2)
    [('to', 'be'), ('be', 'or')]
    """
    if n <= 0:
        raise ValueError("n must be positive")
    seq = list(items)
    return [tuple(seq[i : i + n]) for i in range(len(seq) - n + 1)]


def shingles(text: str, size: int = 3) -> set[str]:
    """Return the set of character ``size``-shingles of normalised ``text``.

    >>> sorted(shingles("Hello", 3))
    ['ell', 'hel', 'llo']
    """
    normalized = collapse_whitespace(text.lower())
    if len(normalized) < size:
        return {normalized} if normalized else set()
    return {normalized[i : i + size] for i in range(len(normalized) - size + 1)}


def jaccard(a: Iterable[object], b: Iterable[object]) -> float:
    """Return the Jaccard similarity of two collections (as sets).

    Two empty collections are considered identical.

    >>> jaccard("abc", "bcd")
    0.5
    """
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def text_similarity(a: str, b: str, size: int = 3) -> float:
    """Return the shingle-based Jaccard similarity of two texts.

    >>> text_similarity("the cat sat", "the cat sat")
    1.0
    """
    return jaccard(shingles(a, size), shingles(b, size))


# ---------------------------------------------------------------------------
# Ciphers and checks
# ---------------------------------------------------------------------------


def caesar(text: str, shift: int) -> str:
    """Shift the ASCII letters of ``text`` by ``shift`` positions.

    >>> caesar("Hello, World", 3)
    'Khoor, Zruog'
    >>> caesar(caesar("abc", 5), -5)
    'abc'
    """
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            out.append(chr((ord(ch) - 97 + shift) % 26 + 97))
        elif "A" <= ch <= "Z":
            out.append(chr((ord(ch) - 65 + shift) % 26 + 65))
        else:
            out.append(ch)
    return "".join(out)


def rot13(text: str) -> str:
    """Apply ROT13 to ``text`` (its own inverse).

    >>> rot13("Why did the chicken cross the road?")
    'Jul qvq gur puvpxra pebff gur ebnq?'
    """
    return caesar(text, 13)


def vigenere(text: str, key: str, *, decrypt: bool = False) -> str:
    """Encrypt or decrypt ``text`` with the Vigenère cipher.

    Only ASCII letters are shifted and only they advance the key.

    >>> vigenere("attack at dawn", "lemon")
    'lxfopv ef rnhr'
    >>> vigenere("lxfopv ef rnhr", "lemon", decrypt=True)
    'attack at dawn'
    """
    shifts = [ord(ch) - 97 for ch in key.lower() if "a" <= ch <= "z"]
    if not shifts:
        raise ValueError("key must contain letters")
    out = []
    k = 0
    for ch in text:
        if ch.isascii() and ch.isalpha():
            shift = shifts[k % len(shifts)]
            out.append(caesar(ch, -shift if decrypt else shift))
            k += 1
        else:
            out.append(ch)
    return "".join(out)


def is_palindrome(text: str) -> bool:
    """Return True if ``text`` reads the same backwards, ignoring punctuation.

    >>> is_palindrome("A man, a plan, a canal: Panama")
    True
    """
    letters = [ch.lower() for ch in text if ch.isalnum()]
    return letters == letters[::-1]


def is_anagram(a: str, b: str) -> bool:
    """Return True if ``a`` and ``b`` use the same letters, ignoring case and spaces.

    >>> is_anagram("Dormitory", "dirty room")
    True
    """

    def key(s: str) -> Counter[str]:
        return Counter(ch.lower() for ch in s if ch.isalnum())

    return key(a) == key(b)


def is_pangram(text: str) -> bool:
    """Return True if ``text`` uses every letter of the English alphabet.

    >>> is_pangram("The quick brown fox jumps over the lazy dog")
    True
    """
    return set("abcdefghijklmnopqrstuvwxyz") <= set(text.lower())


def char_classes(text: str) -> dict[str, int]:
    """Count upper case, lower case, digit, space and other characters.

    >>> char_classes("Ab1 !")
    {'upper': 1, 'lower': 1, 'digit': 1, 'space': 1, 'other': 1}
    """
    counts = {"upper": 0, "lower": 0, "digit": 0, "space": 0, "other": 0}
    for ch in text:
        if ch.isupper():
            counts["upper"] += 1
        elif ch.islower():
            counts["lower"] += 1
        elif ch.isdigit():
            counts["digit"] += 1
        elif ch.isspace():
            counts["space"] += 1
        else:
            counts["other"] += 1
    return counts


def luhn_valid(number: str) -> bool:
    """Check a number (card, IMEI) with the Luhn checksum.

    Spaces and dashes are ignored.

    >>> luhn_valid("4539 1488 0343 6467"), luhn_valid("4539 1488 0343 6468")
    (True, False)
    """
    digits = [int(ch) for ch in number if ch.isdigit()]
    if len(digits) < 2 or any(not (ch.isdigit() or ch in " -") for ch in number):
        return False
    total = 0
    for i, digit in enumerate(reversed(digits)):
        if i % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


# ---------------------------------------------------------------------------
# Masking
# ---------------------------------------------------------------------------


def mask(text: str, *, keep_start: int = 0, keep_end: int = 4, char: str = "*") -> str:
    """Hide the middle of ``text``, keeping a few characters at either end.

    If there is nothing left to hide the whole text is masked.

    >>> mask("4539148803436467")
    '************6467'
    >>> mask("secret", keep_start=1, keep_end=1)
    's****t'
    """
    if keep_start + keep_end >= len(text):
        return char * len(text)
    hidden = len(text) - keep_start - keep_end
    tail = text[len(text) - keep_end :] if keep_end else ""
    return text[:keep_start] + char * hidden + tail


def mask_email(address: str) -> str:
    """Mask the local part of an e-mail address.

    >>> mask_email("ada.lovelace@example.com")
    'a**********e@example.com'
    """
    local, sep, domain = address.partition("@")
    if not sep:
        raise ValueError("not an e-mail address")
    if len(local) <= 2:
        return "*" * len(local) + "@" + domain
    return mask(local, keep_start=1, keep_end=1) + "@" + domain


_SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b(password|passwd|secret|token|api[_-]?key)(\s*[=:]\s*)(['\"]?)([^\s'\"]+)\3"
)


def redact_secrets(text: str, replacement: str = "[REDACTED]") -> str:
    """Replace values assigned to password-like keys in ``text``.

    Handy before logging configuration or command lines.

    >>> redact_secrets("user=ada password=hunter2 token: 'abc'")
    "user=ada password=[REDACTED] token: '[REDACTED]'"
    """
    return _SECRET_ASSIGNMENT.sub(lambda m: f"{m[1]}{m[2]}{m[3]}{replacement}{m[3]}", text)


# ---------------------------------------------------------------------------
# Markdown helpers
# ---------------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Render a GitHub flavoured Markdown table.

    Pipes inside cells are escaped.

    >>> print(markdown_table(["a", "b"], [[1, "x|y"]]))
    | a | b |
    | --- | --- |
    | 1 | x\\|y |
    """

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |"]
    lines.append("| " + " | ".join("---" for _ in headers) + " |")
    for row in rows:
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


def markdown_headings(text: str) -> list[tuple[int, str]]:
    """Return ``(level, title)`` for every ATX heading in Markdown ``text``.

    Headings inside fenced code blocks are ignored.

    >>> markdown_headings("# A\\n```\\n# not\\n```\\n## B ##")
    [(1, 'A'), (2, 'B')]
    """
    found = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        match = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if match:
            found.append((len(match.group(1)), match.group(2)))
    return found


def table_of_contents(text: str) -> str:
    """Build a nested Markdown list of links to the headings of ``text``.

    Anchors are computed like GitHub does: lower case, punctuation removed,
    spaces turned into dashes.

    >>> print(table_of_contents("# Intro\\n## Getting started"))
    - [Intro](#intro)
      - [Getting started](#getting-started)
    """
    headings = markdown_headings(text)
    if not headings:
        return ""
    top = min(level for level, _ in headings)
    lines = []
    for level, title in headings:
        anchor = re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
        lines.append(f"{'  ' * (level - top)}- [{title}](#{anchor})")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Readability
# ---------------------------------------------------------------------------


def count_syllables(word: str) -> int:
    """Estimate the number of syllables of an English ``word``.

    The estimate counts vowel groups, ignores a silent final ``e`` and never
    returns less than one for a non-empty word.

    >>> [count_syllables(w) for w in ("cat", "table", "banana", "queue", "the")]
    [1, 2, 3, 1, 1]
    """
    word = re.sub(r"[^a-z]", "", word.lower())
    if not word:
        return 0
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups)
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def flesch_reading_ease(text: str) -> float:
    """Return the Flesch reading ease score of ``text``.

    Higher is easier; most plain English prose scores between 60 and 70.

    >>> round(flesch_reading_ease("The cat sat on the mat."), 1)
    116.1
    """
    words = tokenize_words(text)
    if not words:
        return 0.0
    sentences = max(1, len(split_sentences(text)))
    syllables = sum(count_syllables(w) for w in words)
    return 206.835 - 1.015 * (len(words) / sentences) - 84.6 * (syllables / len(words))


def reading_time(text: str, words_per_minute: int = 230) -> int:
    """Return the estimated reading time of ``text`` in whole minutes.

    Any non-empty text takes at least one minute.

    >>> reading_time("word " * 500)
    3
    """
    words = word_count(text)
    if not words:
        return 0
    return max(1, -(-words // words_per_minute))


# ---------------------------------------------------------------------------
# Sorting
# ---------------------------------------------------------------------------


def natural_key(text: str) -> tuple[object, ...]:
    """Return a sort key that orders embedded numbers numerically.

    >>> sorted(["file10", "file2", "File1"], key=natural_key)
    ['File1', 'file2', 'file10']
    """
    parts: list[object] = []
    for chunk in re.split(r"(\d+)", text):
        if not chunk:
            continue
        parts.append((0, int(chunk), "") if chunk.isdigit() else (1, 0, chunk.casefold()))
    return tuple(parts)


def natural_sort(items: Iterable[str]) -> list[str]:
    """Sort ``items`` in natural order (see :func:`natural_key`).

    >>> natural_sort(["v1.10", "v1.9", "v1.2"])
    ['v1.2', 'v1.9', 'v1.10']
    """
    return sorted(items, key=natural_key)


def version_key(version: str) -> tuple[int, ...]:
    """Return a sort key for dotted numeric versions; suffixes are ignored.

    >>> sorted(["1.10.0", "1.2", "1.2.1rc1"], key=version_key)
    ['1.2', '1.2.1rc1', '1.10.0']
    """
    numbers = []
    for part in version.split("."):
        match = re.match(r"\d+", part)
        numbers.append(int(match.group(0)) if match else 0)
    return tuple(numbers)


# ---------------------------------------------------------------------------
# Chunking
# ---------------------------------------------------------------------------


def chunk_text(text: str, size: int, *, overlap: int = 0) -> list[str]:
    """Split ``text`` into pieces of ``size`` characters.

    Consecutive pieces share ``overlap`` characters, which is useful when
    feeding text to search indexes.

    >>> chunk_text("abcdefg", 3)
    ['abc', 'def', 'g']
    >>> chunk_text("abcdefg", 4, overlap=2)
    ['abcd', 'cdef', 'efg']
    """
    if size <= 0:
        raise ValueError("size must be positive")
    if not 0 <= overlap < size:
        raise ValueError("overlap must be between 0 and size - 1")
    step = size - overlap
    pieces = []
    for start in range(0, len(text), step):
        pieces.append(text[start : start + size])
        if start + size >= len(text):
            break
    return pieces


def iter_lines_with_numbers(text: str, start: int = 1) -> Iterator[tuple[int, str]]:
    """Yield ``(number, line)`` pairs for the lines of ``text``.

    >>> list(iter_lines_with_numbers("a\\nb"))
    [(1, 'a'), (2, 'b')]
    """
    for offset, line in enumerate(text.splitlines()):
        yield start + offset, line


def number_lines(text: str, *, start: int = 1, separator: str = " | ") -> str:
    """Prefix every line with its right-aligned line number.

    >>> print(number_lines("a\\nb", start=9))
     9 | a
    10 | b
    """
    lines = text.splitlines()
    width = len(str(start + len(lines) - 1)) if lines else 1
    return "\n".join(f"{n:>{width}}{separator}{line}" for n, line in enumerate(lines, start))


def common_prefix(strings: Iterable[str]) -> str:
    """Return the longest prefix shared by all ``strings``.

    An empty collection has an empty common prefix.

    >>> common_prefix(["interspecies", "interstellar", "interstate"])
    'inters'
    >>> common_prefix([])
    ''
    """
    items = list(strings)
    if not items:
        return ""
    shortest = min(items, key=len)
    for i, ch in enumerate(shortest):
        if any(item[i] != ch for item in items):
            return shortest[:i]
    return shortest


# ---------------------------------------------------------------------------
# Key/value text
# ---------------------------------------------------------------------------

_TRUE_WORDS = frozenset("1 true yes y on enable enabled".split())
_FALSE_WORDS = frozenset("0 false no n off disable disabled".split())


def parse_bool(text: str) -> bool:
    """Interpret a configuration-style boolean.

    Accepts ``1/0``, ``true/false``, ``yes/no``, ``y/n``, ``on/off`` and
    ``enable(d)/disable(d)`` in any case.  Anything else raises
    :class:`ValueError`.

    >>> parse_bool("Yes"), parse_bool("off")
    (True, False)
    """
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError(f"not a boolean: {text!r}")


def parse_key_values(text: str, *, pair_separator: str | None = None) -> dict[str, str]:
    """Parse ``key=value`` pairs such as ``a=1 b="two words" c=''``.

    Pairs are separated by whitespace (or by ``pair_separator`` when given)
    and values may be quoted like shell words.  A key without ``=`` gets an
    empty value.  Later keys override earlier ones.

    >>> parse_key_values('host=db port=5432 name="my app" debug')
    {'host': 'db', 'port': '5432', 'name': 'my app', 'debug': ''}
    >>> parse_key_values("a=1; b=2", pair_separator=";")
    {'a': '1', 'b': '2'}
    """
    if pair_separator is None:
        words = split_quoted(text)
    else:
        words = [w.strip() for w in text.split(pair_separator) if w.strip()]
    result: dict[str, str] = {}
    for word in words:
        key, _, value = word.partition("=")
        key = key.strip()
        if not key:
            raise ValueError(f"missing key in {word!r}")
        result[key] = value
    return result


def format_key_values(values: dict[str, object], *, sort: bool = False) -> str:
    """Format a mapping as ``key=value`` pairs, quoting values when needed.

    ``parse_key_values(format_key_values(d))`` gives back ``d`` with string
    values.

    >>> format_key_values({"host": "db", "name": "my app", "n": 3})
    "host=db name='my app' n=3"
    """
    keys = sorted(values) if sort else list(values)
    out = []
    for key in keys:
        value = values[key]
        text = "" if value is None else str(value)
        out.append(f"{key}={shell_quote(text) if text else ''}")
    return " ".join(out)


def strip_comments(text: str, marker: str = "#") -> str:
    """Remove comments introduced by ``marker`` from every line of ``text``.

    Markers inside single or double quoted strings are not comments.
    Trailing whitespace left behind by a removed comment is stripped too.

    >>> strip_comments('a = "x # y"  # comment\\n# whole line\\nb = 2')
    'a = "x # y"\\n\\nb = 2'
    """
    out = []
    for line in text.split("\n"):
        quote = ""
        cut = len(line)
        i = 0
        while i < len(line):
            ch = line[i]
            if quote:
                if ch == "\\":
                    i += 2
                    continue
                if ch == quote:
                    quote = ""
            elif ch in "'\"":
                quote = ch
            elif line.startswith(marker, i):
                cut = i
                break
            i += 1
        out.append(line[:cut].rstrip() if cut < len(line) else line)
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Unicode cleanup
# ---------------------------------------------------------------------------

_SMART_PUNCTUATION = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "--",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
}


def ascii_punctuation(text: str) -> str:
    """Replace typographic quotes, dashes and spaces by ASCII equivalents.

    >>> ascii_punctuation("\\u201cIt\\u2019s here\\u201d \\u2014 now\\u2026")
    '"It\\'s here" -- now...'
    """
    return "".join(_SMART_PUNCTUATION.get(ch, ch) for ch in text)


def to_ascii(text: str, replacement: str = "?") -> str:
    """Convert ``text`` to ASCII, transliterating where possible.

    Characters that cannot be represented become ``replacement``.

    >>> to_ascii("na\\u00efve caf\\u00e9 \\u2014 \\u4e2d")
    'naive cafe -- ?'
    """
    cleaned = strip_accents(ascii_punctuation(text))
    return "".join(ch if ch.isascii() else replacement for ch in cleaned)


def remove_control_chars(text: str, *, keep: str = "\n\t") -> str:
    """Remove control and format characters except those in ``keep``.

    >>> remove_control_chars("a\\x00b\\u200bc\\td")
    'abc\\td'
    """
    return "".join(
        ch for ch in text if ch in keep or unicodedata.category(ch) not in ("Cc", "Cf")
    )


def normalize_unicode(text: str, form: str = "NFC") -> str:
    """Return ``text`` in Unicode normal form ``form``.

    >>> len(normalize_unicode("e\\u0301")), len(normalize_unicode("\\u00e9", "NFD"))
    (1, 2)
    """
    if form not in ("NFC", "NFD", "NFKC", "NFKD"):
        raise ValueError(f"unknown normal form {form!r}")
    return unicodedata.normalize(form, text)


def casefold_equal(a: str, b: str) -> bool:
    """Compare two strings ignoring case and Unicode normalisation.

    >>> casefold_equal("Stra\\u00dfe", "STRASSE")
    True
    """
    return normalize_unicode(a, "NFKC").casefold() == normalize_unicode(b, "NFKC").casefold()


def squeeze(text: str, chars: str | None = None) -> str:
    """Collapse runs of the same character (limited to ``chars`` if given).

    Like ``tr -s``.

    >>> squeeze("aaabccdd"), squeeze("a--b__c", "-")
    ('abcd', 'a-b__c')
    """
    out: list[str] = []
    for ch in text:
        if out and out[-1] == ch and (chars is None or ch in chars):
            continue
        out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------------------
# Layout in columns
# ---------------------------------------------------------------------------


def columnize(items: Sequence[str], width: int = 80, *, separator: str = "  ") -> str:
    """Lay ``items`` out in columns, filling columns top to bottom like ``ls``.

    The number of columns is the largest that fits in ``width``.

    >>> print(columnize(["a", "b", "c", "d", "e"], 9))
    a  c  e
    b  d
    """
    items = list(items)
    if not items:
        return ""
    widest = max(display_width(item) for item in items)
    for ncols in range(len(items), 0, -1):
        nrows = -(-len(items) // ncols)
        columns = [items[c * nrows : (c + 1) * nrows] for c in range(ncols)]
        columns = [col for col in columns if col]
        widths = [max(display_width(x) for x in col) for col in columns]
        total = sum(widths) + len(separator) * (len(columns) - 1)
        if total <= width or ncols == 1:
            break
    else:  # pragma: no cover - the loop always breaks at ncols == 1
        widths = [widest]
    lines = []
    for r in range(nrows):
        cells = []
        for c, col in enumerate(columns):
            if r < len(col):
                cells.append(pad_right(col[r], widths[c]))
        lines.append(separator.join(cells).rstrip())
    return "\n".join(lines)


def bullet_list(items: Iterable[str], *, bullet: str = "-", width: int | None = None) -> str:
    """Format ``items`` as a bulleted list, wrapping long items if ``width`` is set.

    >>> print(bullet_list(["one", "two"]))
    - one
    - two
    """
    prefix = f"{bullet} "
    out = []
    for item in items:
        if width is None:
            out.append(prefix + item)
        else:
            out.append(hanging_indent(item, width, prefix))
    return "\n".join(out)


def numbered_list(items: Iterable[str], *, start: int = 1) -> str:
    """Format ``items`` as a numbered list with aligned numbers.

    >>> print(numbered_list(["a", "b"], start=9))
     9. a
    10. b
    """
    items = list(items)
    width = len(str(start + len(items) - 1)) if items else 1
    return "\n".join(f"{n:>{width}}. {item}" for n, item in enumerate(items, start))


def underline(title: str, char: str = "=") -> str:
    """Underline ``title`` with ``char`` as reStructuredText headings do.

    >>> print(underline("Usage", "-"))
    Usage
    -----
    """
    return f"{title}\n{char * display_width(title)}"


def center_lines(text: str, width: int) -> str:
    """Center every line of ``text`` within ``width`` columns.

    >>> center_lines("ab\\nabcd", 6).split("\\n")
    ['  ab', ' abcd']
    """
    return "\n".join(pad_center(line.strip(), width).rstrip() for line in text.split("\n"))


# ---------------------------------------------------------------------------
# Small predicates and accessors
# ---------------------------------------------------------------------------


def is_blank(text: str | None) -> bool:
    """Return True for ``None``, the empty string and whitespace-only strings.

    >>> is_blank(None), is_blank(" \\t"), is_blank("x")
    (True, True, False)
    """
    return text is None or not text.strip()


def first_line(text: str) -> str:
    """Return the first non-blank line of ``text``, stripped.

    >>> first_line("\\n  Summary line\\nmore")
    'Summary line'
    """
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def acronym(phrase: str) -> str:
    """Build an upper case acronym from the words of ``phrase``.

    Small words are skipped unless the phrase consists only of them.

    >>> acronym("portable network graphics"), acronym("Bureau of Labor Statistics")
    ('PNG', 'BLS')
    """
    words = split_words(phrase)
    significant = [w for w in words if w.lower() not in SMALL_WORDS] or words
    return "".join(w[0].upper() for w in significant)


def humanize_identifier(name: str) -> str:
    """Turn a code identifier into a human readable label.

    >>> humanize_identifier("max_retry_count"), humanize_identifier("userID")
    ('Max retry count', 'User ID')
    """
    words = split_words(name)
    if not words:
        return ""
    shown = [w if w.isupper() and len(w) > 1 else w.lower() for w in words]
    first = shown[0]
    shown[0] = first if first.isupper() else first.capitalize()
    return " ".join(shown)


def repeat_to_length(text: str, length: int) -> str:
    """Repeat ``text`` and cut it to exactly ``length`` characters.

    >>> repeat_to_length("ab", 5)
    'ababa'
    """
    if not text:
        raise ValueError("cannot repeat an empty string")
    times = -(-length // len(text))
    return (text * times)[:length]


def interleave(*texts: str) -> str:
    """Interleave the characters of several strings.

    >>> interleave("abc", "12", "xyz!")
    'a1xb2ycz!'
    """
    out = []
    longest = max((len(t) for t in texts), default=0)
    for i in range(longest):
        for t in texts:
            if i < len(t):
                out.append(t[i])
    return "".join(out)


def hexdump(data: bytes, *, width: int = 16) -> str:
    """Render ``data`` like ``hexdump -C``: offset, hex bytes and ASCII.

    >>> print(hexdump(b"hello, world\\n"))
    00000000  68 65 6c 6c 6f 2c 20 77 6f 72 6c 64 0a           |hello, world.|
    """
    lines = []
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        hex_part = " ".join(f"{b:02x}" for b in chunk).ljust(width * 3 - 1)
        text_part = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hex_part}  |{text_part}|")
    return "\n".join(lines)


def longest_common_substring(a: str, b: str) -> str:
    """Return the longest string that occurs in both ``a`` and ``b``.

    When there are several, the one that occurs first in ``a`` wins.

    >>> longest_common_substring("xabcdey", "zzbcdq")
    'bcd'
    """
    best_len = 0
    best_end = 0
    previous = [0] * (len(b) + 1)
    for i, ca in enumerate(a, 1):
        current = [0] * (len(b) + 1)
        for j, cb in enumerate(b, 1):
            if ca == cb:
                current[j] = previous[j - 1] + 1
                if current[j] > best_len:
                    best_len = current[j]
                    best_end = i
        previous = current
    return a[best_end - best_len : best_end]
