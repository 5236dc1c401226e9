"""Regenerate tasks.jsonl from the task definitions below.

    python bench/eval/make_tasks.py            # writes bench/eval/tasks.jsonl
    python bench/eval/make_tasks.py --table    # also prints the PROVENANCE table

Every task is a list of exact text edits: ``fix`` edits (the gold ``patch``)
and ``test`` edits (the ``test_patch``).  An edit ``(path, old, new)``
replaces the single occurrence of ``old``; an empty ``old`` appends ``new``
at the end of the file (creating it when missing).  The diffs are made by git
in a freshly built repository at its base commit, so they apply with
``git apply`` exactly there.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_repos

Edit = tuple[str, str, str]


@dataclass
class Task:
    name: str
    number: int
    created_at: str
    problem_statement: str
    fix: list[Edit]
    test: list[Edit]
    fail_to_pass: list[str]
    pass_to_pass: list[str]
    version: str
    adds_api: bool = False
    notes: list[str] = field(default_factory=list)


VERSIONS = {"ledger": "0.2", "textkit": "0.3", "units": "1.4"}

TASKS: list[Task] = []


def task(name: str, number: int, created_at: str, **kwargs: object) -> None:
    TASKS.append(Task(name, number, created_at, version=VERSIONS[name], **kwargs))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# textkit
# ---------------------------------------------------------------------------

task(
    "textkit",
    1,
    "2024-02-03T09:14:27Z",
    problem_statement="""\
wrap_text breaks a line too early when a word would exactly fill it

When the last word of a line would make the line exactly `width` characters
long, `wrap_text` moves it to the next line instead, so every line comes out
one word shorter than it could be:

```python
>>> from textkit.strings import wrap_text
>>> wrap_text("aaa bbb ccc", 7)
['aaa', 'bbb', 'ccc']
```

"aaa bbb" is exactly 7 characters, so I expected `['aaa bbb', 'ccc']`. The
docstring example (`width=15`) does not produce the output it shows either.
`fill`, `hanging_indent` and `justify` are affected as well because they use
`wrap_text`.
""",
    fix=[
        (
            "textkit/strings.py",
            "        if len(current) + 1 + len(word) < width:\n",
            "        if len(current) + 1 + len(word) <= width:\n",
        )
    ],
    test=[
        (
            "tests/test_wrap.py",
            "",
            """

def test_wrap_fills_lines_exactly():
    assert wrap_text("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert wrap_text("the quick brown fox jumps over the lazy dog", 15) == [
        "the quick brown",
        "fox jumps over",
        "the lazy dog",
    ]
""",
        )
    ],
    fail_to_pass=["tests/test_wrap.py::test_wrap_fills_lines_exactly"],
    pass_to_pass=[
        "tests/test_wrap.py::test_wrap_long_word_gets_own_line",
        "tests/test_wrap.py::test_wrap_empty",
        "tests/test_wrap.py::test_truncate",
        "tests/test_wrap.py::test_justify_line",
        "tests/test_case.py::test_other_cases",
    ],
)

task(
    "textkit",
    2,
    "2024-02-11T16:40:02Z",
    problem_statement="""\
parse_conflicts mixes the base section into "ours" for diff3-style conflicts

We run git with `merge.conflictStyle=diff3`, which writes an extra section
with the common ancestor between `|||||||` and `=======`:

```
<<<<<<< HEAD
ours
||||||| merged common ancestors
base
=======
theirs
>>>>>>> feature
```

`parse_conflicts` puts the `|||||||` marker line and the ancestor lines into
`ours`, so `ours` is `['ours', '||||||| merged common ancestors', 'base']`,
and `resolve_conflicts(text, "ours")` writes the marker and the ancestor
text back into the file.

Expected: `ours == ['ours']`, `theirs == ['theirs']`, the ancestor lines
available separately (e.g. `conflict.base == ['base']` with the label
`'merged common ancestors'` in `conflict.base_label`; `base` can stay `None`
for ordinary two-way conflicts), and resolving by side must never emit the
ancestor section. It would also help to resolve to the ancestor version,
`resolve_conflicts(text, "base")`, which should raise `ConflictParseError`
for a conflict that has no ancestor section.
""",
    fix=[
        (
            "textkit/strings.py",
            """    ``start`` is the 1-based line number of the ``<<<<<<<`` marker,
    ``ours`` and ``theirs`` the lines of the two sides (without line
    endings) and the labels the text following the markers (often a branch
    name or a commit).
    \"\"\"

    start: int
    ours: list[str] = field(default_factory=list)
    theirs: list[str] = field(default_factory=list)
    ours_label: str = ""
    theirs_label: str = ""
""",
            """    ``start`` is the 1-based line number of the ``<<<<<<<`` marker,
    ``ours`` and ``theirs`` the lines of the two sides (without line
    endings) and the labels the text following the markers (often a branch
    name or a commit).  Conflicts written with ``merge.conflictStyle=diff3``
    also carry the common ancestor's lines in ``base`` (``None`` otherwise)
    and the text after the ``|||||||`` marker in ``base_label``.
    \"\"\"

    start: int
    ours: list[str] = field(default_factory=list)
    theirs: list[str] = field(default_factory=list)
    ours_label: str = ""
    theirs_label: str = ""
    base: list[str] | None = None
    base_label: str = ""
""",
        ),
        (
            "textkit/strings.py",
            """        >>>>>>> feature

    Raises :class:`ConflictParseError` when markers are unbalanced, for
""",
            """        >>>>>>> feature

    The ``diff3`` style, which adds the common ancestor between a
    ``|||||||`` marker and the separator, is understood as well.

    Raises :class:`ConflictParseError` when markers are unbalanced, for
""",
        ),
        (
            "textkit/strings.py",
            """        if side == "ours" and _marker(line, CONFLICT_SEPARATOR) == "":
            side = "theirs"
            continue
""",
            """        base_label = _marker(line, CONFLICT_BASE)
        if side == "ours" and base_label is not None:
            current.base = []
            current.base_label = base_label
            side = "base"
            continue
        if side in ("ours", "base") and _marker(line, CONFLICT_SEPARATOR) == "":
            side = "theirs"
            continue
""",
        ),
        (
            "textkit/strings.py",
            """    ``side`` is ``"ours"``, ``"theirs"`` or ``"both"`` (ours followed by
    theirs, the ``union`` merge strategy).  Lines outside conflicts are kept
    as they are; the line ending of the result follows the input.
""",
            """    ``side`` is ``"ours"``, ``"theirs"``, ``"both"`` (ours followed by
    theirs, the ``union`` merge strategy) or ``"base"`` (the common
    ancestor, which needs conflicts written in the ``diff3`` style).  Lines
    outside conflicts are kept as they are; the line ending of the result
    follows the input.
""",
        ),
        (
            "textkit/strings.py",
            """    if side not in ("ours", "theirs", "both"):
        raise ValueError("side must be 'ours', 'theirs' or 'both'")
""",
            """    if side not in ("ours", "theirs", "both", "base"):
        raise ValueError("side must be 'ours', 'theirs', 'both' or 'base'")
""",
        ),
        (
            "textkit/strings.py",
            """        if side in ("ours", "both"):
            out.extend(conflict.ours)
""",
            """        if side == "base":
            if conflict.base is None:
                raise ConflictParseError(f"line {conflict.start}: conflict has no base section")
            out.extend(conflict.base)
        if side in ("ours", "both"):
            out.extend(conflict.ours)
""",
        ),
        (
            "textkit/strings.py",
            """        if side == "ours":
            current.ours.append(line)
        else:
            current.theirs.append(line)
""",
            """        if side == "ours":
            current.ours.append(line)
        elif side == "base" and current.base is not None:
            current.base.append(line)
        else:
            current.theirs.append(line)
""",
        ),
    ],
    test=[
        (
            "tests/test_markup.py",
            "",
            '''

DIFF3 = """\\
<<<<<<< HEAD
ours
||||||| merged common ancestors
base
=======
theirs
>>>>>>> feature
"""


def test_parse_diff3_conflict():
    (conflict,) = parse_conflicts(DIFF3)
    assert conflict.ours == ["ours"]
    assert conflict.base == ["base"]
    assert conflict.base_label == "merged common ancestors"
    assert conflict.theirs == ["theirs"]
    assert conflict.theirs_label == "feature"


def test_resolve_diff3_conflict_drops_ancestor():
    assert resolve_conflicts(DIFF3, "ours") == "ours\\n"
    assert resolve_conflicts(DIFF3, "both") == "ours\\ntheirs\\n"
    assert resolve_conflicts(DIFF3, "base") == "base\\n"


def test_resolve_to_base_needs_diff3():
    with pytest.raises(ConflictParseError):
        resolve_conflicts(MERGED, "base")
''',
        )
    ],
    fail_to_pass=[
        "tests/test_markup.py::test_parse_diff3_conflict",
        "tests/test_markup.py::test_resolve_diff3_conflict_drops_ancestor",
        "tests/test_markup.py::test_resolve_to_base_needs_diff3",
    ],
    pass_to_pass=[
        "tests/test_markup.py::test_parse_simple_conflict",
        "tests/test_markup.py::test_resolve_keeps_side",
        "tests/test_markup.py::test_unclosed_conflict_is_an_error",
        "tests/test_markup.py::test_heredocs_ignore_here_strings",
    ],
)

task(
    "textkit",
    3,
    "2024-03-02T11:05:48Z",
    adds_api=True,
    problem_statement="""\
Add common_suffix to go with common_prefix

`textkit.strings.common_prefix` is handy, but I keep needing the mirror
image: the longest suffix shared by a list of strings (file extensions,
word endings, shared path tails). Today I write
`common_prefix(s[::-1] for s in items)[::-1]` by hand.

Could `textkit.strings` get a `common_suffix(strings)` function? It should
behave like `common_prefix`:

```python
>>> common_suffix(["running", "jumping", "sing"])
'ing'
>>> common_suffix(["report.tar.gz", "backup.tar.gz"])
'.tar.gz'
>>> common_suffix(["abc", "xyz"])
''
>>> common_suffix([])
''
```

It should accept any iterable, including a generator.
""",
    fix=[
        (
            "textkit/strings.py",
            "",
            '''

def common_suffix(strings: Iterable[str]) -> str:
    """Return the longest suffix shared by all ``strings``.

    The mirror image of :func:`common_prefix`; an empty collection has an
    empty common suffix.  Any iterable is accepted, including generators.

    >>> common_suffix(["running", "jumping", "sing"])
    'ing'
    >>> common_suffix(["abc", "xyz"])
    ''
    """
    items = list(strings)
    if not items:
        return ""
    return common_prefix(item[::-1] for item in items)[::-1]
''',
        )
    ],
    test=[
        (
            "tests/test_misc.py",
            "",
            """

def test_common_suffix():
    from textkit.strings import common_suffix

    assert common_suffix(["running", "jumping", "sing"]) == "ing"
    assert common_suffix(["report.tar.gz", "backup.tar.gz"]) == ".tar.gz"
    assert common_suffix(["abc", "xyz"]) == ""
    assert common_suffix([]) == ""
    assert common_suffix(x for x in ["same", "same"]) == "same"
""",
        ),
    ],
    fail_to_pass=["tests/test_misc.py::test_common_suffix"],
    pass_to_pass=[
        "tests/test_case.py::test_split_words_camel_and_acronyms",
        "tests/test_case.py::test_title_case_small_words",
        "tests/test_numbers.py::test_ordinal",
        "tests/test_misc.py::test_common_prefix",
        "tests/test_misc.py::test_natural_sort",
    ],
)

task(
    "textkit",
    4,
    "2024-03-19T08:22:10Z",
    problem_statement="""\
roman_to_int accepts malformed numerals and raises KeyError on bad letters

The docstring says malformed numerals raise `ValueError`, but:

```python
>>> from textkit.strings import roman_to_int
>>> roman_to_int("IIII")
4
>>> roman_to_int("VX")
5
>>> roman_to_int("IC")
99
>>> roman_to_int("ABC")
Traceback (most recent call last):
  ...
KeyError: 'A'
```

I use it to validate user input, so I need `ValueError` for anything that is
not a canonical Roman numeral between 1 and 3999 (`IIII`, `VX`, `IC`,
`XIIX`, `MMMM`, letters that are not numerals ...). Valid numerals, lower
case included, must keep working.
""",
    fix=[
        (
            "textkit/strings.py",
            """    for ch in reversed(numeral):
        value = _ROMAN_VALUES[ch]
""",
            """    for ch in reversed(numeral):
        value = _ROMAN_VALUES.get(ch)
        if value is None:
            raise ValueError(f"invalid Roman numeral {numeral!r}: unexpected {ch!r}")
""",
        ),
        (
            "textkit/strings.py",
            """            total += value
            previous = value
    return total
""",
            """            total += value
            previous = value
    if not 0 < total < 4000 or int_to_roman(total) != numeral:
        raise ValueError(f"invalid Roman numeral {numeral!r}")
    return total
""",
        ),
    ],
    test=[
        (
            "tests/test_numbers.py",
            "",
            """

@pytest.mark.parametrize("bad", ["IIII", "VX", "IC", "XIIX", "MMMM", "ABC"])
def test_roman_rejects_malformed(bad):
    with pytest.raises(ValueError):
        roman_to_int(bad)
""",
        )
    ],
    fail_to_pass=[
        f"tests/test_numbers.py::test_roman_rejects_malformed[{bad}]"
        for bad in ["IIII", "VX", "IC", "XIIX", "MMMM", "ABC"]
    ],
    pass_to_pass=[
        "tests/test_numbers.py::test_roman_round_trip[1994]",
        "tests/test_numbers.py::test_roman_round_trip[3999]",
        "tests/test_numbers.py::test_roman_lower_case",
        "tests/test_numbers.py::test_int_to_roman_range",
        "tests/test_numbers.py::test_number_words",
    ],
)

task(
    "textkit",
    5,
    "2024-04-07T14:51:33Z",
    adds_api=True,
    problem_statement="""\
slugify: allow limiting the length of the slug

Our CMS stores slugs in a column limited to a fixed length, and titles can
be long. Cutting the result of `slugify` ourselves chops words in half and
can leave a trailing dash (`"the-quick-bro"`, `"the-quick-"`).

Please add an optional `max_length` argument to `slugify` that shortens the
slug to at most that many characters, cutting at a separator so words stay
whole, and never leaving the separator at the end:

```python
>>> slugify("The quick brown fox", max_length=12)
'the-quick'
>>> slugify("The quick brown fox", max_length=15)
'the-quick-brown'
```

If the first word alone is longer than `max_length`, cut it (e.g.
`slugify("Supercalifragilistic", max_length=5) == 'super'`). Without
`max_length` nothing changes.
""",
    fix=[
        (
            "textkit/strings.py",
            '''def slugify(text: str, separator: str = "-") -> str:
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
''',
            '''def slugify(text: str, separator: str = "-", max_length: int | None = None) -> str:
    """Turn ``text`` into a URL friendly slug.

    Accents are removed, ``&`` becomes ``and``, everything that is not an
    ASCII letter or digit becomes ``separator`` and runs of separators are
    collapsed.  The result is lower case and never starts or ends with the
    separator.

    With ``max_length`` the slug is shortened to at most that many
    characters.  The cut is made at a separator so that words stay whole;
    only a first word longer than ``max_length`` is cut in the middle.

    >>> slugify("Hello, World!")
    'hello-world'
    >>> slugify("Crème brûlée & café", "_")
    'creme_brulee_and_cafe'
    >>> slugify("The quick brown fox", max_length=12)
    'the-quick'
    """
    if max_length is not None and max_length <= 0:
        raise ValueError("max_length must be positive")
    text = strip_accents(text.replace("&", " and "))
    text = re.sub(r"[^A-Za-z0-9]+", separator, text).lower()
    if separator:
        text = re.sub(f"(?:{re.escape(separator)})+", separator, text)
        text = text.strip(separator)
    if max_length is not None and len(text) > max_length:
        head = text[: max_length + 1]
        cut = head.rfind(separator) if separator else -1
        text = head[:cut] if cut > 0 else text[:max_length]
        if separator:
            text = text.strip(separator)
    return text
''',
        )
    ],
    test=[
        (
            "tests/test_markup.py",
            "",
            """

def test_slugify_max_length():
    assert slugify("The quick brown fox", max_length=12) == "the-quick"
    assert slugify("The quick brown fox", max_length=15) == "the-quick-brown"
    assert slugify("Supercalifragilistic", max_length=5) == "super"
    assert slugify("short title", max_length=50) == "short-title"
    assert slugify("a b c", "_", max_length=3) == "a_b"
""",
        )
    ],
    fail_to_pass=["tests/test_markup.py::test_slugify_max_length"],
    pass_to_pass=[
        "tests/test_markup.py::test_slugify",
        "tests/test_markup.py::test_render_defaults_and_dollars",
        "tests/test_case.py::test_snake_case[Hello World-hello_world]",
        "tests/test_misc.py::test_levenshtein",
    ],
)

# ---------------------------------------------------------------------------
# ledger
# ---------------------------------------------------------------------------

task(
    "ledger",
    1,
    "2024-02-20T10:31:55Z",
    problem_statement="""\
Journal.balance(as_of=...) leaves out transactions on the as_of day

The docstring of `Journal.balance` says the balance "at the end of that
day" is returned, including the transactions dated `as_of`, but they are
skipped:

```python
journal = parse_journal('''\\
2024-01-01 * Opening balance
    Assets:Bank:Checking      1000.00 USD
    Equity:Opening
2024-01-05 * Corner Shop
    Expenses:Food               45.20 USD
    Assets:Bank:Checking
''')
journal.balance("Assets:Bank:Checking", datetime.date(2024, 1, 5))
# -> $1,000.00, expected $954.80
```

`net_worth(as_of)` is off the same way, while `balances(as_of)` and
`trial_balance(as_of)` already include the day, so the reports disagree
with each other.
""",
    fix=[
        (
            "ledger/book.py",
            "            if as_of is not None and not transaction.date < as_of:\n",
            "            if as_of is not None and transaction.date > as_of:\n",
        )
    ],
    test=[
        (
            "tests/test_book.py",
            "",
            """

def test_balance_as_of_includes_that_day():
    journal = parse_journal(SAMPLE)
    assert journal.balance("Assets:Bank:Checking", D(2024, 1, 5)) == Money("954.80")
    assert journal.balance("Assets", D(2024, 1, 4)) == Money("1000.00")
    assert journal.net_worth(D(2024, 1, 31)) == Money("3454.80")
""",
        )
    ],
    fail_to_pass=["tests/test_book.py::test_balance_as_of_includes_that_day"],
    pass_to_pass=[
        "tests/test_book.py::test_parse_sample",
        "tests/test_book.py::test_balance_without_date",
        "tests/test_book.py::test_income_statement",
        "tests/test_money.py::test_allocate_keeps_total",
    ],
)

task(
    "ledger",
    2,
    "2024-03-08T17:12:40Z",
    problem_statement="""\
amortization_schedule leaves a few cents outstanding and crashes for 0 % loans

Two problems with loan schedules:

1. The balance after the last installment is not zero, because every
   installment pays the rounded fixed payment. For a 10,000 USD loan at 6 %
   over 12 months the last row still shows a small residual balance, and the
   principal column does not add up to 10,000. The docstring promises that
   the final installment is adjusted so that the loan is repaid exactly.

2. An interest-free loan crashes:

```python
>>> amortization_schedule(Money("1000"), "0", 3, datetime.date(2024, 1, 1))
decimal.InvalidOperation: [<class 'decimal.DivisionUndefined'>]
```

   (`loan_payment(Money("1000"), "0", 3)` fails the same way.) I expected
   payments of 333.33, 333.33 and 333.34 with a final balance of zero.
""",
    fix=[
        (
            "ledger/book.py",
            """        raise ValueError("the interest rate must not be negative")
    factor = (1 + rate) ** months
""",
            """        raise ValueError("the interest rate must not be negative")
    if rate == 0:
        return Money(principal.amount / months, principal.currency)
    factor = (1 + rate) ** months
""",
        ),
        (
            "ledger/book.py",
            """        interest = Money(balance.amount * rate, principal.currency)
        repaid = payment - interest
        balance = balance - repaid
        rows.append(
            Installment(number, add_months(start, number), payment, interest, repaid, balance)
        )
""",
            """        interest = Money(balance.amount * rate, principal.currency)
        if number == months:
            # The last installment repays whatever is left, absorbing the
            # rounding of the earlier payments.
            repaid = balance
            amount = repaid + interest
        else:
            repaid = payment - interest
            amount = payment
        balance = balance - repaid
        rows.append(
            Installment(number, add_months(start, number), amount, interest, repaid, balance)
        )
""",
        ),
    ],
    test=[
        (
            "tests/test_book.py",
            "",
            """

def test_schedule_repays_exactly():
    rows = amortization_schedule(Money("10000"), "0.06", 12, D(2024, 1, 15))
    assert rows[-1].balance == Money("0")
    repaid = sum((r.principal for r in rows[1:]), rows[0].principal)
    assert repaid == Money("10000")
    assert rows[-1].payment == rows[-1].principal + rows[-1].interest


def test_interest_free_loan():
    assert loan_payment(Money("1000"), "0", 3) == Money("333.33")
    rows = amortization_schedule(Money("1000"), "0", 3, D(2024, 1, 1))
    assert [r.payment for r in rows] == [Money("333.33"), Money("333.33"), Money("333.34")]
    assert rows[-1].balance == Money("0")
""",
        )
    ],
    fail_to_pass=[
        "tests/test_book.py::test_schedule_repays_exactly",
        "tests/test_book.py::test_interest_free_loan",
    ],
    pass_to_pass=[
        "tests/test_book.py::test_loan_payment",
        "tests/test_book.py::test_schedule_interest_first_month",
        "tests/test_book.py::test_add_months_clamps",
    ],
)

task(
    "ledger",
    3,
    "2024-04-15T07:48:19Z",
    problem_statement="""\
parse_journal crashes with decimal.InvalidOperation on a mistyped amount

The docstring of `parse_journal` says any problem raises `JournalError` with
the line number, but a typo in an amount gives a bare decimal error with no
hint where it is:

```python
>>> parse_journal("2024-01-01 x\\n    Expenses:Food  1.234.50 USD\\n    Assets:Cash\\n")
decimal.InvalidOperation: [<class 'decimal.ConversionSyntax'>]
```

Some mistakes are not caught at all: `1,2,3` is silently read as 123. And
when the amount is not a number at all (`twelve`), the `JournalError` has
no line number (`error.line` is `None`).

Expected: a `JournalError` whose `line` is the line of the bad posting (2
in the examples) for malformed numbers such as `1.234.50`, `12..5`, `1,2,3`
or `twelve`. Thousands separators in the usual places (`1,234.50`) must
still work.
""",
    fix=[
        (
            "ledger/book.py",
            """def _parse_amount(text: str, default_currency: str) -> Money:
    match = _AMOUNT.match(text)
    if not match:
        raise JournalError(f"cannot read amount {text!r}")
    pre, num, post = match.group("pre"), match.group("num"), match.group("post")
    if pre and post:
        raise JournalError(f"two currencies in amount {text!r}")
""",
            """_NUMBER = re.compile(r"^[-+]?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?$")


def _parse_amount(text: str, default_currency: str, number: int | None = None) -> Money:
    match = _AMOUNT.match(text)
    if not match:
        raise JournalError(f"cannot read amount {text!r}", number)
    pre, num, post = match.group("pre"), match.group("num"), match.group("post")
    if pre and post:
        raise JournalError(f"two currencies in amount {text!r}", number)
    if not _NUMBER.match(num):
        raise JournalError(f"malformed number {num!r} in amount {text!r}", number)
""",
        ),
        (
            "ledger/book.py",
            "            amount = _parse_amount(parts[1].strip(), currency)"
            " if len(parts) > 1 else None\n",
            "            amount = (\n"
            "                _parse_amount(parts[1].strip(), currency, number)"
            " if len(parts) > 1 else None\n"
            "            )\n",
        ),
    ],
    test=[
        (
            "tests/test_book.py",
            "",
            """

@pytest.mark.parametrize("amount", ["1.234.50 USD", "12..5", "1,2,3", "twelve"])
def test_malformed_amount_reports_line(amount):
    text = f"2024-01-01 x\\n    Expenses:Food  {amount}\\n    Assets:Cash\\n"
    with pytest.raises(JournalError) as info:
        parse_journal(text)
    assert info.value.line == 2


def test_thousands_separator_amount():
    text = "2024-01-01 x\\n    Expenses:Rent  1,234.50 USD\\n    Assets:Cash\\n"
    assert parse_journal(text).balance("Expenses") == Money("1234.50")
""",
        )
    ],
    fail_to_pass=[
        "tests/test_book.py::test_malformed_amount_reports_line[1.234.50 USD]",
        "tests/test_book.py::test_malformed_amount_reports_line[12..5]",
        "tests/test_book.py::test_malformed_amount_reports_line[1,2,3]",
        "tests/test_book.py::test_malformed_amount_reports_line[twelve]",
    ],
    pass_to_pass=[
        "tests/test_book.py::test_thousands_separator_amount",
        "tests/test_book.py::test_parse_sample",
        "tests/test_book.py::test_round_trip_format",
        "tests/test_book.py::test_unbalanced_reports_line",
    ],
)

task(
    "ledger",
    4,
    "2024-05-02T13:26:04Z",
    problem_statement="""\
Money.allocate and split_evenly dump all leftover cents on the last share

Splitting 10 cents four ways gives the last person double:

```python
>>> Money("0.10").allocate([1, 1, 1, 1])
[Money('0.02', 'USD'), Money('0.02', 'USD'), Money('0.02', 'USD'), Money('0.04', 'USD')]
>>> Money("10.00").split_evenly(3)
[Money('3.33', 'USD'), Money('3.33', 'USD'), Money('3.34', 'USD')]
```

The docstrings say the leftover cents are handed out one at a time so that
equal shares never differ by more than one cent, and that the larger
shares come first. Expected `[0.03, 0.03, 0.02, 0.02]` and
`[3.34, 3.33, 3.33]`. Negative amounts (refunds) have the same problem:
`Money("-0.10").allocate([1, 1, 1, 1])` should give
`[-0.03, -0.03, -0.02, -0.02]`.
""",
    fix=[
        (
            "ledger/money.py",
            """        total = self.minor_units
        shares = [int(total * w / total_weight) for w in weights]
        remainder = total - sum(shares)
        shares[-1] += remainder
        return [Money.from_minor(s, self.currency) for s in shares]
""",
            """        total = self.minor_units
        sign = -1 if total < 0 else 1
        exact = [abs(total) * w / total_weight for w in weights]
        shares = [int(x) for x in exact]
        remainder = abs(total) - sum(shares)
        # Hand out the leftover cents one at a time, largest fraction first;
        # ties go to the earlier share.
        order = sorted(range(len(shares)), key=lambda i: (shares[i] - exact[i], i))
        for i in order[:remainder]:
            shares[i] += 1
        return [Money.from_minor(sign * s, self.currency) for s in shares]
""",
        ),
        (
            "ledger/money.py",
            """        base, remainder = divmod(self.minor_units, parts)
        shares = [base] * parts
        shares[-1] += remainder
""",
            """        base, remainder = divmod(self.minor_units, parts)
        shares = [base] * parts
        for i in range(remainder):
            shares[i] += 1
""",
        ),
    ],
    test=[
        (
            "tests/test_money.py",
            "",
            """

def test_allocate_spreads_leftover_cents():
    cents = [Money("0.03"), Money("0.03"), Money("0.02"), Money("0.02")]
    assert Money("0.10").allocate([1, 1, 1, 1]) == cents
    assert Money("-0.10").allocate([1, 1, 1, 1]) == [-c for c in cents]
    assert Money("100").allocate([1, 1, 1]) == [Money("33.34"), Money("33.33"), Money("33.33")]


def test_split_evenly_larger_shares_first():
    assert Money("10.00").split_evenly(3) == [Money("3.34"), Money("3.33"), Money("3.33")]
    assert Money("0.05").split_evenly(2) == [Money("0.03"), Money("0.02")]
""",
        )
    ],
    fail_to_pass=[
        "tests/test_money.py::test_allocate_spreads_leftover_cents",
        "tests/test_money.py::test_split_evenly_larger_shares_first",
    ],
    pass_to_pass=[
        "tests/test_money.py::test_allocate_keeps_total",
        "tests/test_money.py::test_quantized_to_minor_unit",
        "tests/test_money.py::test_format_and_parse",
        "tests/test_book.py::test_loan_payment",
    ],
)

# ---------------------------------------------------------------------------
# units
# ---------------------------------------------------------------------------

task(
    "units",
    1,
    "2024-02-26T12:03:37Z",
    problem_statement="""\
convert_temperature gives wrong results when converting to Fahrenheit

`convert_temperature` works for Celsius and kelvin, but anything converted
*to* Fahrenheit is wrong:

```python
>>> from units.convert import convert_temperature
>>> convert_temperature(100, "C", "F")
416.29...
>>> convert_temperature(0, "K", "F")
-255.37...
```

Expected 212 and -459.67. `convert(100, "degC", "degF")` returns 212
correctly, so the two functions disagree. Conversions from Fahrenheit to
Celsius look right (-40 F is -40 C), but -40 C to Fahrenheit is not -40.
""",
    fix=[
        (
            "units/convert.py",
            "    return kelvin / dst_factor - dst_offset\n",
            "    return (kelvin - dst_offset) / dst_factor\n",
        )
    ],
    test=[
        (
            "tests/test_format.py",
            """    def test_below_absolute_zero(self):
        with self.assertRaises(ValueError):
            convert_temperature(-300, "C", "K")
""",
            """    def test_below_absolute_zero(self):
        with self.assertRaises(ValueError):
            convert_temperature(-300, "C", "K")

    def test_known_points(self):
        cases = [
            (0, "C", "K", 273.15),
            (32, "F", "C", 0.0),
            (-40, "F", "C", -40.0),
            (100, "C", "F", 212.0),
            (-40, "C", "F", -40.0),
            (0, "K", "F", -459.67),
            (491.67, "R", "F", 32.0),
            (20, "celsius", "\\u00b0F", 68.0),
        ]
        for value, source, target, expected in cases:
            with self.subTest(value=value, source=source, target=target):
                self.assertAlmostEqual(
                    convert_temperature(value, source, target), expected, places=6
                )
""",
        )
    ],
    fail_to_pass=["tests/test_format.py::TemperatureTests::test_known_points"],
    pass_to_pass=[
        "tests/test_format.py::TemperatureTests::test_celsius_kelvin",
        "tests/test_format.py::TemperatureTests::test_below_absolute_zero",
        "tests/test_convert.py::ConvertTests::test_registry_temperatures",
        "tests/test_convert.py::ConvertTests::test_delta",
    ],
)

task(
    "units",
    2,
    "2024-03-27T15:39:21Z",
    problem_statement="""\
format_bytes(1024) prints "1024 B" instead of "1.0 KiB"

Exactly one unit is not promoted to the next unit:

```python
>>> format_bytes(1024)
'1024 B'
>>> format_bytes(1024 ** 2)
'1024.0 KiB'
>>> format_bytes(1000, binary=False)
'1000 B'
```

Expected `'1.0 KiB'`, `'1.0 MiB'` and `'1.0 kB'`. 1023 bytes should still
be shown as `'1023 B'`.
""",
    fix=[
        (
            "units/convert.py",
            "        if abs(value) <= step:\n",
            "        if abs(value) < step:\n",
        )
    ],
    test=[
        (
            "tests/test_format.py",
            """    def test_decimal(self):
        self.assertEqual(format_bytes(2500, binary=False), "2.5 kB")
""",
            """    def test_decimal(self):
        self.assertEqual(format_bytes(2500, binary=False), "2.5 kB")

    def test_exact_unit_boundaries(self):
        self.assertEqual(format_bytes(1024), "1.0 KiB")
        self.assertEqual(format_bytes(1024**2), "1.0 MiB")
        self.assertEqual(format_bytes(1000, binary=False), "1.0 kB")
        self.assertEqual(format_bytes(1023), "1023 B")
""",
        )
    ],
    fail_to_pass=["tests/test_format.py::BytesTests::test_exact_unit_boundaries"],
    pass_to_pass=[
        "tests/test_format.py::BytesTests::test_small_and_large",
        "tests/test_format.py::BytesTests::test_decimal",
        "tests/test_format.py::BytesTests::test_parse_size",
        "tests/test_convert.py::ConvertTests::test_prefixed_lengths",
    ],
)

task(
    "units",
    3,
    "2024-04-22T09:57:13Z",
    problem_statement="""\
parse_duration rejects "1.5h" and returns 0 for an empty string

Two problems in `parse_duration`:

```python
>>> parse_duration("1.5h")
ValueError: cannot parse duration '1.5h'
>>> parse_duration("")
0.0
```

A bare decimal number such as `"2.5"` is accepted, so fractional parts with
a unit should be too: `"1.5h"` is 5400 seconds and `"0.5d 2h"` is 50400.
And an empty or blank string is not a duration; the docstring says anything
that is not a duration raises `ValueError`, but `""` and `"   "` silently
give 0, which turned a missing config value into a zero timeout for us.
""",
    fix=[
        (
            "units/convert.py",
            '_DURATION_PART = re.compile(r"(\\d+)\\s*(ms|w|d|h|m|s)", re.IGNORECASE)\n',
            '_DURATION_PART = re.compile(r"(\\d+(?:\\.\\d+)?)\\s*(ms|w|d|h|m|s)", re.IGNORECASE)\n',
        ),
        (
            "units/convert.py",
            """    cleaned = text.strip().lower()
    if re.fullmatch(r"\\d+(?:\\.\\d+)?", cleaned):
""",
            """    cleaned = text.strip().lower()
    if not cleaned:
        raise ValueError("empty duration")
    if re.fullmatch(r"\\d+(?:\\.\\d+)?", cleaned):
""",
        ),
    ],
    test=[
        (
            "tests/test_format.py",
            """    def test_format(self):
        self.assertEqual(format_duration(5400), "1h 30m")
""",
            """    def test_fractional_parts(self):
        self.assertEqual(parse_duration("1.5h"), 5400)
        self.assertEqual(parse_duration("0.5d 2h"), 50400)

    def test_empty_is_an_error(self):
        for text in ("", "   "):
            with self.assertRaises(ValueError):
                parse_duration(text)

    def test_format(self):
        self.assertEqual(format_duration(5400), "1h 30m")
""",
        )
    ],
    fail_to_pass=[
        "tests/test_format.py::DurationTests::test_fractional_parts",
        "tests/test_format.py::DurationTests::test_empty_is_an_error",
    ],
    pass_to_pass=[
        "tests/test_format.py::DurationTests::test_parse",
        "tests/test_format.py::DurationTests::test_format",
        "tests/test_format.py::BytesTests::test_parse_size",
    ],
)

task(
    "units",
    4,
    "2024-05-14T18:20:45Z",
    adds_api=True,
    problem_statement="""\
format_quantity / humanize: support a fixed number of decimals

`format_quantity` always uses up to six significant digits, so a column of
measurements comes out ragged (`3.1 m`, `2.75 m`, `10 m`) and there is no
way to ask for a fixed number of decimals. I'd like an optional `precision`
argument giving exactly that many decimals, also accepted by `humanize`:

```python
>>> format_quantity(Quantity.of(3.1, "m"), precision=2)
'3.10 m'
>>> format_quantity(Quantity.of(2, "km"), precision=0)
'2 km'
>>> humanize(Quantity.of(0.0042, "m"), precision=2)
'4.20 mm'
```

Degrees and percentages should keep their current no-space style
(`21.5°C`). A negative precision is an error. Without the argument the
output must not change. It would be nice if f-strings worked the same way,
e.g. `f"{q:.1f}"` giving `'3.1 m'` (today that raises `TypeError:
unsupported format string passed to Quantity.__format__`).
""",
    fix=[
        (
            "units/convert.py",
            """    def __str__(self) -> str:
        return format_quantity(self)
""",
            """    def __str__(self) -> str:
        return format_quantity(self)

    def __format__(self, spec: str) -> str:
        \"\"\"Support ``f"{q:.2f}"``: a ``.Nf`` spec fixes the number of decimals.\"\"\"
        if not spec:
            return format_quantity(self)
        match = re.fullmatch(r"\\.(\\d+)f", spec)
        if not match:
            raise ValueError(f"invalid format spec {spec!r} for a Quantity")
        return format_quantity(self, int(match.group(1)))
""",
        ),
        (
            "units/convert.py",
            '''def format_quantity(quantity: Quantity) -> str:
    """Format ``quantity`` as ``"<value> <symbol>"``.

    The value is shown with up to six significant digits and no trailing
    zeros; percentages and degrees are written without a space.
    """
    symbol = display_symbol(quantity.unit)
    number = f"{quantity.value:.6g}"
''',
            '''def format_quantity(quantity: Quantity, precision: int | None = None) -> str:
    """Format ``quantity`` as ``"<value> <symbol>"``.

    The value is shown with up to six significant digits and no trailing
    zeros, or with exactly ``precision`` decimals when that is given;
    percentages and degrees are written without a space.
    """
    symbol = display_symbol(quantity.unit)
    if precision is None:
        number = f"{quantity.value:.6g}"
    elif precision < 0:
        raise ValueError("precision must not be negative")
    else:
        number = f"{quantity.value:.{precision}f}"
''',
        ),
        (
            "units/convert.py",
            '''def humanize(quantity: Quantity) -> str:
    """Format ``quantity`` in the most readable unit of its dimension.

    ``humanize(Quantity.of(0.0042, "m"))`` is ``"4.2 mm"``.
    """
    return format_quantity(quantity.to(best_unit(quantity)))
''',
            '''def humanize(quantity: Quantity, precision: int | None = None) -> str:
    """Format ``quantity`` in the most readable unit of its dimension.

    ``humanize(Quantity.of(0.0042, "m"))`` is ``"4.2 mm"``; ``precision``
    is passed on to :func:`format_quantity`.
    """
    return format_quantity(quantity.to(best_unit(quantity)), precision)
''',
        ),
    ],
    test=[
        (
            "tests/test_format.py",
            """    def test_humanize(self):
        self.assertEqual(humanize(Quantity.of(0.0042, "m")), "4.2 mm")
""",
            """    def test_humanize(self):
        self.assertEqual(humanize(Quantity.of(0.0042, "m")), "4.2 mm")

    def test_fixed_precision(self):
        self.assertEqual(format_quantity(Quantity.of(3.1, "m"), precision=2), "3.10 m")
        self.assertEqual(format_quantity(Quantity.of(2, "km"), precision=0), "2 km")
        self.assertEqual(format_quantity(Quantity.of(21.456, "degC"), precision=1), "21.5\\u00b0C")
        self.assertEqual(humanize(Quantity.of(0.0042, "m"), precision=2), "4.20 mm")
        self.assertEqual(f"{Quantity.of(3.14159, 'm'):.1f}", "3.1 m")
        with self.assertRaises(ValueError):
            format_quantity(Quantity.of(1, "m"), precision=-1)
""",
        )
    ],
    fail_to_pass=["tests/test_format.py::QuantityFormatTests::test_fixed_precision"],
    pass_to_pass=[
        "tests/test_format.py::QuantityFormatTests::test_format_quantity",
        "tests/test_format.py::QuantityFormatTests::test_humanize",
        "tests/test_convert.py::QuantityTests::test_parse_and_add",
        "tests/test_convert.py::ExpressionTests::test_compound",
    ],
)


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------


def apply_edits(root: Path, edits: list[Edit]) -> None:
    """Apply exact-text edits under ``root``; every ``old`` must occur once."""
    for path, old, new in edits:
        target = root / path
        text = target.read_text(encoding="utf-8") if target.exists() else ""
        if old:
            count = text.count(old)
            if count != 1:
                raise SystemExit(f"{path}: expected one occurrence, found {count}: {old[:60]!r}")
            text = text.replace(old, new)
        else:
            text += new
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def diff(repo: Path, edits: list[Edit]) -> str:
    """Apply ``edits`` in ``repo``, return the staged diff, then reset."""
    apply_edits(repo, edits)
    build_repos.git("add", "-A", cwd=repo)
    text = build_repos.git("diff", "--cached", "--no-color", "--no-ext-diff", cwd=repo)
    build_repos.git("reset", "-q", "--hard", "HEAD", cwd=repo)
    build_repos.git("clean", "-qfdx", cwd=repo)
    return text


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@", re.MULTILINE)


def patch_attributes(repo: Path, patch: str) -> dict[str, object]:
    """Describe where a patch edits: sizes, hunk offsets, appends at the end."""
    files = []
    for block in re.split(r"^(?=diff --git )", patch, flags=re.MULTILINE):
        if not block.startswith("diff --git"):
            continue
        path = block.split(" b/", 1)[1].split("\n", 1)[0]
        original = (repo / path).read_text(encoding="utf-8")
        lines = original.splitlines(keepends=True)
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line))
        hunks = []
        for match in _HUNK.finditer(block):
            start = int(match.group(1))
            length = int(match.group(2) or 1)
            hunks.append(
                {
                    "offset": offsets[max(start - 1, 0)],
                    "at_end": start + length - 1 >= len(lines),
                }
            )
        files.append({"path": path, "chars": len(original), "hunks": hunks})
    changed = sum(
        1 for line in patch.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )
    return {"files": files, "changed_lines": changed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="store_true", help="print the provenance table")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="devforge-eval-make-") as tmp:
        commits = build_repos.build_all(Path(tmp))
        lines = []
        for t in TASKS:
            repo_name = f"{build_repos.OWNER}/{t.name}"
            repo = Path(tmp) / build_repos.repo_dirname(t.name)
            patch = diff(repo, t.fix)
            test_patch = diff(repo, t.test)
            record = {
                "repo": repo_name,
                "instance_id": f"{build_repos.OWNER}__{t.name}-{t.number}",
                "base_commit": commits[repo_name],
                "patch": patch,
                "test_patch": test_patch,
                "problem_statement": t.problem_statement,
                "hints_text": "",
                "created_at": t.created_at,
                "version": t.version,
                "FAIL_TO_PASS": json.dumps(t.fail_to_pass),
                "PASS_TO_PASS": json.dumps(t.pass_to_pass),
                "environment_setup_commit": commits[repo_name],
            }
            lines.append(json.dumps(record, ensure_ascii=False))
            rows.append((record, t, patch_attributes(repo, patch)))
    (Path(__file__).resolve().parent / "tasks.jsonl").write_text("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} tasks")
    if args.table:
        print_table(rows)
    return 0


def print_table(rows: list[tuple[dict[str, object], Task, dict[str, object]]]) -> None:
    print(
        "| instance_id | file(s) edited (chars) | first hunk offset | hunks"
        " | after 16k | appends at end | adds API | `<<<` near edit | lines changed |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for record, t, attrs in rows:
        files = attrs["files"]
        assert isinstance(files, list)
        hunks = [h for f in files for h in f["hunks"]]
        names = ", ".join(f"{f['path']} ({f['chars']:,})" for f in files)
        first = min(h["offset"] for h in hunks)
        after = all(f["chars"] > 16000 for f in files) and first >= 16000
        at_end = any(h["at_end"] for h in hunks)
        conflict = "yes" if "<<<" in str(record["patch"]) or t.notes else "no"
        print(
            f"| {record['instance_id']} | {names} | {first:,} | {len(hunks)} | "
            f"{'yes' if after else 'no'} | {'yes' if at_end else 'no'} | "
            f"{'yes' if t.adds_api else 'no'} | {conflict} | {attrs['changed_lines']} |"
        )


if __name__ == "__main__":
    sys.exit(main())
