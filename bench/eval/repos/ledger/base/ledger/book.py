"""Double-entry bookkeeping: accounts, transactions, journals and reports.

A :class:`Journal` holds balanced :class:`Transaction` objects, each made of
two or more :class:`Posting` lines that move money between hierarchical
accounts such as ``Assets:Bank:Checking`` or ``Expenses:Food:Groceries``.
The module also reads and writes a small plain-text journal format (close to
the one used by ledger-cli and hledger), produces the usual reports, computes
loan schedules and recurring entries, and imports bank statements from CSV.

Sign conventions follow the usual double-entry rules: debits are positive and
credits negative, so asset and expense balances are normally positive while
liability, equity and income balances are normally negative.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from enum import Enum

from ledger.money import DEFAULT_CURRENCY, Money, to_decimal

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


class LedgerError(Exception):
    """Base class of the errors raised by this module."""


class UnbalancedTransaction(LedgerError):
    """Raised when the postings of a transaction do not sum to zero."""


class JournalError(LedgerError):
    """Raised for malformed journal text; carries the 1-based line number."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class UnknownAccount(LedgerError, KeyError):
    """Raised when an account is used that the journal does not know."""


# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------

SEPARATOR = ":"


class AccountType(Enum):
    """The five classic account types."""

    ASSET = "Assets"
    LIABILITY = "Liabilities"
    EQUITY = "Equity"
    INCOME = "Income"
    EXPENSE = "Expenses"

    @property
    def normal_sign(self) -> int:
        """``1`` for debit-normal types (assets, expenses), ``-1`` otherwise."""
        return 1 if self in (AccountType.ASSET, AccountType.EXPENSE) else -1


_ROOT_ALIASES = {
    "assets": AccountType.ASSET,
    "asset": AccountType.ASSET,
    "liabilities": AccountType.LIABILITY,
    "liability": AccountType.LIABILITY,
    "equity": AccountType.EQUITY,
    "income": AccountType.INCOME,
    "revenue": AccountType.INCOME,
    "revenues": AccountType.INCOME,
    "expenses": AccountType.EXPENSE,
    "expense": AccountType.EXPENSE,
}

_ACCOUNT_NAME = re.compile(r"^[^\s:;]+(?: [^\s:;]+)*(?::[^\s:;]+(?: [^\s:;]+)*)*$")


def validate_account_name(name: str) -> str:
    """Return ``name`` if it is a well-formed account name, else raise.

    Components are separated by ``:``; each component is non-empty and may
    contain single spaces (``Expenses:Eating Out``) but not leading or
    trailing spaces, double spaces or semicolons (which start comments in
    journal files).
    """
    if not _ACCOUNT_NAME.match(name):
        raise LedgerError(f"invalid account name {name!r}")
    return name


def account_type(name: str) -> AccountType:
    """Return the type of the account ``name`` from its first component."""
    root = name.split(SEPARATOR, 1)[0].lower()
    try:
        return _ROOT_ALIASES[root]
    except KeyError:
        raise LedgerError(f"account {name!r} does not start with a known root") from None


def account_parent(name: str) -> str | None:
    """Return the parent of ``name`` (``None`` for a root account)."""
    head, sep, _ = name.rpartition(SEPARATOR)
    return head if sep else None


def account_ancestors(name: str) -> list[str]:
    """Return ``name`` and all of its ancestors, the root first.

    ``account_ancestors("Assets:Bank:Checking")`` is
    ``["Assets", "Assets:Bank", "Assets:Bank:Checking"]``.
    """
    parts = name.split(SEPARATOR)
    return [SEPARATOR.join(parts[: i + 1]) for i in range(len(parts))]


def account_depth(name: str) -> int:
    """Return the number of components of ``name``."""
    return name.count(SEPARATOR) + 1


def is_descendant(name: str, ancestor: str) -> bool:
    """Return True if ``name`` is ``ancestor`` or lies below it."""
    return name == ancestor or name.startswith(ancestor + SEPARATOR)


def truncate_account(name: str, depth: int) -> str:
    """Cut ``name`` down to its first ``depth`` components."""
    if depth <= 0:
        raise ValueError("depth must be positive")
    return SEPARATOR.join(name.split(SEPARATOR)[:depth])


def short_account_name(name: str, width: int = 30) -> str:
    """Abbreviate the leading components of ``name`` until it fits ``width``.

    ``Expenses:Household:Cleaning`` shortened to 20 columns becomes
    ``E:H:Cleaning``; the last component is never abbreviated.
    """
    parts = name.split(SEPARATOR)
    i = 0
    while len(SEPARATOR.join(parts)) > width and i < len(parts) - 1:
        parts[i] = parts[i][:1]
        i += 1
    return SEPARATOR.join(parts)


# ---------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------


@dataclass
class Posting:
    """One line of a transaction: an amount moved into or out of an account."""

    account: str
    amount: Money
    memo: str = ""

    def __post_init__(self) -> None:
        validate_account_name(self.account)


class Status(Enum):
    """Clearing status of a transaction, as marked in journal files."""

    UNCLEARED = ""
    PENDING = "!"
    CLEARED = "*"


@dataclass
class Transaction:
    """A dated, balanced set of postings."""

    date: dt.date
    payee: str
    postings: list[Posting] = field(default_factory=list)
    status: Status = Status.UNCLEARED
    code: str = ""
    note: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    def currencies(self) -> set[str]:
        """Return the currencies used by the postings."""
        return {p.amount.currency for p in self.postings}

    def imbalance(self) -> dict[str, Money]:
        """Return the non-zero per-currency sums of the postings."""
        sums: dict[str, Money] = {}
        for posting in self.postings:
            code = posting.amount.currency
            sums[code] = sums.get(code, Money.zero(code)) + posting.amount
        return {code: amount for code, amount in sums.items() if amount}

    def is_balanced(self) -> bool:
        """Return True if the postings sum to zero in every currency."""
        return not self.imbalance()

    def check(self) -> None:
        """Raise :class:`UnbalancedTransaction` unless the transaction balances."""
        if len(self.postings) < 2:
            raise UnbalancedTransaction(f"{self.date} {self.payee}: needs two postings")
        off = self.imbalance()
        if off:
            detail = ", ".join(str(m) for m in off.values())
            raise UnbalancedTransaction(f"{self.date} {self.payee}: off by {detail}")

    def accounts(self) -> list[str]:
        """Return the accounts touched by the transaction, in posting order."""
        seen: dict[str, None] = {}
        for posting in self.postings:
            seen.setdefault(posting.account, None)
        return list(seen)

    def amount_for(self, account: str) -> Money:
        """Return the net amount posted to ``account`` and its sub-accounts."""
        amounts = [p.amount for p in self.postings if is_descendant(p.account, account)]
        if not amounts:
            currency = next(iter(self.currencies()), DEFAULT_CURRENCY)
            return Money.zero(currency)
        return sum(amounts[1:], amounts[0])

    def reversed(self, date: dt.date | None = None) -> Transaction:
        """Return a transaction that undoes this one (all amounts negated)."""
        return Transaction(
            date=date or self.date,
            payee=f"Reversal: {self.payee}",
            postings=[Posting(p.account, -p.amount, p.memo) for p in self.postings],
            status=self.status,
            note=self.note,
            tags=dict(self.tags),
        )


def simple_transaction(
    date: dt.date,
    payee: str,
    debit: str,
    credit: str,
    amount: Money,
    *,
    status: Status = Status.UNCLEARED,
) -> Transaction:
    """Build a two-posting transaction moving ``amount`` from ``credit`` to ``debit``."""
    return Transaction(
        date=date,
        payee=payee,
        postings=[Posting(debit, amount), Posting(credit, -amount)],
        status=status,
    )


def balance_missing_amount(
    postings: Sequence[tuple[str, Money | None]],
) -> list[Posting]:
    """Fill in the single posting left without an amount.

    Journal files may leave the amount of one posting blank; it then takes
    whatever value makes the transaction balance.  More than one blank
    posting, or a blank posting in a multi-currency transaction, is an error.
    """
    blanks = [i for i, (_, amount) in enumerate(postings) if amount is None]
    if len(blanks) > 1:
        raise UnbalancedTransaction("only one posting may omit its amount")
    given = [amount for _, amount in postings if amount is not None]
    if blanks:
        currencies = {m.currency for m in given}
        if len(currencies) > 1:
            raise UnbalancedTransaction("cannot infer an amount across currencies")
        currency = currencies.pop() if currencies else DEFAULT_CURRENCY
        rest = sum(given[1:], given[0]) if given else Money.zero(currency)
        filled = [
            Posting(account, -rest if amount is None else amount) for account, amount in postings
        ]
    else:
        filled = [Posting(account, amount) for account, amount in postings if amount is not None]
    return filled


# ---------------------------------------------------------------------------
# Journal
# ---------------------------------------------------------------------------


@dataclass
class RegisterLine:
    """A row of an account register: one posting and the running balance."""

    date: dt.date
    payee: str
    account: str
    amount: Money
    balance: Money


class Journal:
    """An ordered collection of balanced transactions.

    Transactions are kept sorted by date; transactions on the same date keep
    the order in which they were added.  Accounts are opened implicitly by
    the first posting that uses them unless ``strict`` is set, in which case
    they must be declared with :meth:`open_account` first.
    """

    def __init__(self, *, strict: bool = False, currency: str = DEFAULT_CURRENCY) -> None:
        self.strict = strict
        self.currency = currency
        self._transactions: list[Transaction] = []
        self._accounts: dict[str, dt.date | None] = {}
        self._closed: dict[str, dt.date] = {}

    # -- accounts -------------------------------------------------------------

    def open_account(self, name: str, date: dt.date | None = None) -> None:
        """Declare the account ``name`` (and its parents), opened on ``date``."""
        validate_account_name(name)
        account_type(name)
        for ancestor in account_ancestors(name):
            self._accounts.setdefault(ancestor, date)

    def close_account(self, name: str, date: dt.date) -> None:
        """Close ``name``: postings after ``date`` are refused."""
        if name not in self._accounts:
            raise UnknownAccount(name)
        self._closed[name] = date

    def accounts(self) -> list[str]:
        """Return every known account name, sorted."""
        return sorted(self._accounts)

    def leaf_accounts(self) -> list[str]:
        """Return the accounts that have no sub-accounts."""
        names = self.accounts()
        return [n for n in names if not any(o.startswith(n + SEPARATOR) for o in names)]

    def _check_account(self, name: str, date: dt.date) -> None:
        if name not in self._accounts:
            if self.strict:
                raise UnknownAccount(name)
            self.open_account(name)
        opened = self._accounts[name]
        if opened is not None and date < opened:
            raise LedgerError(f"{name} is not open on {date}")
        for ancestor in account_ancestors(name):
            closed = self._closed.get(ancestor)
            if closed is not None and date > closed:
                raise LedgerError(f"{name} was closed on {closed}")

    # -- transactions ---------------------------------------------------------

    def add(self, transaction: Transaction) -> Transaction:
        """Check and add ``transaction``; returns it for chaining."""
        transaction.check()
        for posting in transaction.postings:
            self._check_account(posting.account, transaction.date)
        index = len(self._transactions)
        while index > 0 and self._transactions[index - 1].date > transaction.date:
            index -= 1
        self._transactions.insert(index, transaction)
        return transaction

    def extend(self, transactions: Iterable[Transaction]) -> None:
        """Add several transactions."""
        for transaction in transactions:
            self.add(transaction)

    def __iter__(self) -> Iterator[Transaction]:
        return iter(self._transactions)

    def __len__(self) -> int:
        return len(self._transactions)

    def between(self, start: dt.date | None = None, end: dt.date | None = None) -> list[Transaction]:
        """Return the transactions with ``start <= date < end``.

        Either bound may be ``None`` for an open interval.  The end is
        exclusive so that consecutive periods never count a day twice.
        """
        return [
            t
            for t in self._transactions
            if (start is None or t.date >= start) and (end is None or t.date < end)
        ]

    def filter(self, predicate: Callable[[Transaction], bool]) -> list[Transaction]:
        """Return the transactions for which ``predicate`` is true."""
        return [t for t in self._transactions if predicate(t)]

    def for_account(self, account: str) -> list[Transaction]:
        """Return the transactions touching ``account`` or its sub-accounts."""
        return [
            t for t in self._transactions if any(is_descendant(p.account, account) for p in t.postings)
        ]

    def payees(self) -> list[str]:
        """Return the distinct payees, sorted case-insensitively."""
        return sorted({t.payee for t in self._transactions}, key=str.casefold)

    def first_date(self) -> dt.date | None:
        """Return the date of the earliest transaction."""
        return self._transactions[0].date if self._transactions else None

    def last_date(self) -> dt.date | None:
        """Return the date of the latest transaction."""
        return self._transactions[-1].date if self._transactions else None

    def search(self, text: str) -> list[Transaction]:
        """Return transactions whose payee, note or memos contain ``text``.

        The comparison ignores case.
        """
        needle = text.casefold()

        def matches(t: Transaction) -> bool:
            haystacks = [t.payee, t.note, *(p.memo for p in t.postings)]
            return any(needle in h.casefold() for h in haystacks)

        return self.filter(matches)

    # -- balances -------------------------------------------------------------

    def postings(self, account: str | None = None) -> Iterator[tuple[Transaction, Posting]]:
        """Yield ``(transaction, posting)`` pairs, optionally for one account subtree."""
        for transaction in self._transactions:
            for posting in transaction.postings:
                if account is None or is_descendant(posting.account, account):
                    yield transaction, posting

    def balance(self, account: str, as_of: dt.date | None = None) -> Money:
        """Return the balance of ``account`` including its sub-accounts.

        With ``as_of`` the balance at the end of that day is returned, that
        is including the transactions dated ``as_of`` itself.
        """
        result = Money.zero(self.currency)
        for transaction, posting in self.postings(account):
            if as_of is not None and not transaction.date < as_of:
                continue
            result = result + posting.amount
        return result

    def balances(
        self, as_of: dt.date | None = None, *, depth: int | None = None
    ) -> dict[str, Money]:
        """Return the balance of every account, rolled up into its parents.

        With ``depth`` the accounts are truncated to that many components
        first, which gives the usual summary reports.  Accounts whose balance
        is zero are left out.
        """
        totals: dict[str, Money] = defaultdict(lambda: Money.zero(self.currency))
        for transaction, posting in self.postings():
            if as_of is not None and transaction.date > as_of:
                continue
            name = posting.account if depth is None else truncate_account(posting.account, depth)
            for ancestor in account_ancestors(name):
                totals[ancestor] = totals[ancestor] + posting.amount
        return {name: amount for name, amount in sorted(totals.items()) if amount}

    def trial_balance(self, as_of: dt.date | None = None) -> list[tuple[str, Money, Money]]:
        """Return ``(account, debit, credit)`` for every leaf account with a balance.

        The debit and credit columns each add up to the same total when the
        journal is consistent.
        """
        leaf_totals: dict[str, Money] = defaultdict(lambda: Money.zero(self.currency))
        for transaction, posting in self.postings():
            if as_of is None or transaction.date <= as_of:
                leaf_totals[posting.account] = leaf_totals[posting.account] + posting.amount
        rows = []
        zero = Money.zero(self.currency)
        for name in sorted(leaf_totals):
            amount = leaf_totals[name]
            if not amount:
                continue
            if amount.is_negative():
                rows.append((name, zero, -amount))
            else:
                rows.append((name, amount, zero))
        return rows

    def register(self, account: str, start: dt.date | None = None) -> list[RegisterLine]:
        """Return the register of ``account``: every posting with a running balance.

        With ``start`` the running balance begins with the balance carried
        over from before ``start`` and only later postings are listed.
        """
        running = Money.zero(self.currency)
        lines = []
        for transaction, posting in self.postings(account):
            running = running + posting.amount
            if start is not None and transaction.date < start:
                continue
            lines.append(
                RegisterLine(transaction.date, transaction.payee, posting.account, posting.amount, running)
            )
        return lines

    def net_worth(self, as_of: dt.date | None = None) -> Money:
        """Return assets minus liabilities (liabilities are stored negative)."""
        assets = self.balance(AccountType.ASSET.value, as_of)
        liabilities = self.balance(AccountType.LIABILITY.value, as_of)
        return assets + liabilities


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------


@dataclass
class Statement:
    """A simple financial statement: titled sections of ``(account, amount)`` rows."""

    title: str
    sections: dict[str, list[tuple[str, Money]]]
    totals: dict[str, Money]

    def render(self, width: int = 50) -> str:
        """Render the statement as aligned plain text."""
        lines = [self.title, "=" * len(self.title)]
        for section, rows in self.sections.items():
            lines.append(section)
            for account, amount in rows:
                label = "  " + short_account_name(account, width - 18)
                lines.append(f"{label:<{width - 16}}{amount.format():>16}")
            total_label = f"Total {section.lower()}"
            lines.append(f"{total_label:<{width - 16}}{self.totals[section].format():>16}")
            lines.append("")
        return "\n".join(lines).rstrip()


def _type_rows(
    journal: Journal, kind: AccountType, transactions: Iterable[Transaction], sign: int
) -> tuple[list[tuple[str, Money]], Money]:
    sums: dict[str, Money] = defaultdict(lambda: Money.zero(journal.currency))
    for transaction in transactions:
        for posting in transaction.postings:
            if account_type(posting.account) is kind:
                sums[posting.account] = sums[posting.account] + posting.amount * sign
    rows = sorted((name, amount) for name, amount in sums.items() if amount)
    total = sum((amount for _, amount in rows), Money.zero(journal.currency))
    return rows, total


def income_statement(journal: Journal, start: dt.date, end: dt.date) -> Statement:
    """Income and expenses for ``start <= date < end``, with the net income.

    Income is shown positive (it is stored as credits) and expenses positive.
    """
    transactions = journal.between(start, end)
    income, income_total = _type_rows(journal, AccountType.INCOME, transactions, -1)
    expenses, expense_total = _type_rows(journal, AccountType.EXPENSE, transactions, 1)
    return Statement(
        title=f"Income statement {start} to {end}",
        sections={"Income": income, "Expenses": expenses},
        totals={
            "Income": income_total,
            "Expenses": expense_total,
            "Net income": income_total - expense_total,
        },
    )


def balance_sheet(journal: Journal, as_of: dt.date) -> Statement:
    """Assets, liabilities and equity at the end of ``as_of``.

    Retained earnings (the net of all income and expenses so far) are shown
    as part of equity so that the sheet balances.
    """
    transactions = [t for t in journal if t.date <= as_of]
    assets, asset_total = _type_rows(journal, AccountType.ASSET, transactions, 1)
    liabilities, liability_total = _type_rows(journal, AccountType.LIABILITY, transactions, -1)
    equity, equity_total = _type_rows(journal, AccountType.EQUITY, transactions, -1)
    _, income_total = _type_rows(journal, AccountType.INCOME, transactions, -1)
    _, expense_total = _type_rows(journal, AccountType.EXPENSE, transactions, 1)
    retained = income_total - expense_total
    if retained:
        equity.append(("Equity:Retained Earnings", retained))
        equity_total = equity_total + retained
    return Statement(
        title=f"Balance sheet at {as_of}",
        sections={"Assets": assets, "Liabilities": liabilities, "Equity": equity},
        totals={"Assets": asset_total, "Liabilities": liability_total, "Equity": equity_total},
    )


def month_start(date: dt.date) -> dt.date:
    """Return the first day of the month of ``date``."""
    return date.replace(day=1)


def add_months(date: dt.date, months: int) -> dt.date:
    """Add ``months`` to ``date``, clamping the day to the end of the month.

    ``add_months(date(2024, 1, 31), 1)`` is 29 February 2024.
    """
    index = date.year * 12 + date.month - 1 + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(date.day, last))


def monthly_totals(
    journal: Journal, account: str, start: dt.date, end: dt.date
) -> list[tuple[dt.date, Money]]:
    """Return ``(month, net amount)`` for ``account`` per calendar month.

    Months run from the month containing ``start`` up to, but excluding,
    the month containing ``end``.  Months without postings are included with
    a zero amount so that the result can be charted directly.
    """
    months = []
    current = month_start(start)
    stop = month_start(end)
    while current < stop:
        months.append(current)
        current = add_months(current, 1)
    sums = {m: Money.zero(journal.currency) for m in months}
    for transaction, posting in journal.postings(account):
        key = month_start(transaction.date)
        if key in sums:
            sums[key] = sums[key] + posting.amount
    return [(m, sums[m]) for m in months]


def top_payees(
    journal: Journal, account: str, *, limit: int = 5
) -> list[tuple[str, Money]]:
    """Return the payees with the largest totals posted to ``account``.

    Useful to answer "where does the money for groceries go?".  Ties are
    broken by payee name.
    """
    sums: dict[str, Money] = defaultdict(lambda: Money.zero(journal.currency))
    for transaction, posting in journal.postings(account):
        sums[transaction.payee] = sums[transaction.payee] + posting.amount
    ranked = sorted(sums.items(), key=lambda item: (-abs(item[1].amount), item[0]))
    return ranked[:limit]


# ---------------------------------------------------------------------------
# Budgets
# ---------------------------------------------------------------------------


@dataclass
class BudgetLine:
    """Budgeted and actual spending for one account in one period."""

    account: str
    budgeted: Money
    actual: Money

    @property
    def remaining(self) -> Money:
        """Budget left (negative when overspent)."""
        return self.budgeted - self.actual

    @property
    def used_percent(self) -> float:
        """Share of the budget used, in percent (0 for an empty budget)."""
        if not self.budgeted:
            return 0.0
        return float(self.actual.amount / self.budgeted.amount * 100)


@dataclass
class Budget:
    """Monthly spending limits per account."""

    monthly: dict[str, Money] = field(default_factory=dict)

    def set(self, account: str, amount: Money) -> None:
        """Budget ``amount`` per month for ``account``."""
        validate_account_name(account)
        self.monthly[account] = amount

    def report(self, journal: Journal, month: dt.date) -> list[BudgetLine]:
        """Compare budget and actual spending for the month containing ``month``."""
        start = month_start(month)
        end = add_months(start, 1)
        transactions = journal.between(start, end)
        lines = []
        for account in sorted(self.monthly):
            actual = Money.zero(journal.currency)
            for transaction in transactions:
                for posting in transaction.postings:
                    if is_descendant(posting.account, account):
                        actual = actual + posting.amount
            lines.append(BudgetLine(account, self.monthly[account], actual))
        return lines

    def overspent(self, journal: Journal, month: dt.date) -> list[BudgetLine]:
        """Return only the budget lines whose actual spending exceeds the budget."""
        return [line for line in self.report(journal, month) if line.remaining.is_negative()]


# ---------------------------------------------------------------------------
# Loans
# ---------------------------------------------------------------------------


@dataclass
class Installment:
    """One row of a loan amortization schedule."""

    number: int
    date: dt.date
    payment: Money
    interest: Money
    principal: Money
    balance: Money


def loan_payment(principal: Money, annual_rate: object, months: int) -> Money:
    """Return the fixed monthly payment that repays ``principal`` in ``months``.

    ``annual_rate`` is the nominal yearly interest rate as a fraction
    (``"0.05"`` for 5 %), compounded monthly.  The payment is rounded to the
    minor unit of the currency.
    """
    if months <= 0:
        raise ValueError("months must be positive")
    rate = to_decimal(annual_rate) / 12
    if rate < 0:
        raise ValueError("the interest rate must not be negative")
    factor = (1 + rate) ** months
    payment = principal.amount * rate * factor / (factor - 1)
    return Money(payment, principal.currency)


def amortization_schedule(
    principal: Money,
    annual_rate: object,
    months: int,
    start: dt.date | None = None,
) -> list[Installment]:
    """Return the month-by-month repayment schedule of a fixed-rate loan.

    Each installment pays the interest accrued on the outstanding balance
    and repays the rest of the fixed payment as principal.  Interest is
    rounded to the minor unit every month, and the final installment is
    adjusted so that the loan is repaid exactly: the balance after the last
    row is zero and the principal column adds up to ``principal``.

    Payment dates fall on the same day of the month as ``start`` (clamped
    to the end of shorter months), the first one a month after ``start``.
    """
    start = start or dt.date.today()
    rate = to_decimal(annual_rate) / 12
    payment = loan_payment(principal, annual_rate, months)
    balance = principal
    rows = []
    for number in range(1, months + 1):
        interest = Money(balance.amount * rate, principal.currency)
        repaid = payment - interest
        balance = balance - repaid
        rows.append(
            Installment(number, add_months(start, number), payment, interest, repaid, balance)
        )
    return rows


def total_interest(schedule: Iterable[Installment]) -> Money:
    """Return the interest paid over a whole schedule."""
    rows = list(schedule)
    if not rows:
        return Money.zero()
    return sum((row.interest for row in rows[1:]), rows[0].interest)


def schedule_transactions(
    schedule: Iterable[Installment],
    *,
    loan_account: str = "Liabilities:Loan",
    interest_account: str = "Expenses:Interest",
    paid_from: str = "Assets:Bank:Checking",
    payee: str = "Loan payment",
) -> list[Transaction]:
    """Turn a schedule into journal transactions, one per installment."""
    transactions = []
    for row in schedule:
        postings = [Posting(loan_account, row.principal)]
        if row.interest:
            postings.append(Posting(interest_account, row.interest))
        postings.append(Posting(paid_from, -row.payment))
        transactions.append(
            Transaction(row.date, f"{payee} {row.number}", postings, code=str(row.number))
        )
    return transactions


def simple_interest(principal: Money, annual_rate: object, days: int, basis: int = 365) -> Money:
    """Return simple interest on ``principal`` for ``days`` days (actual/365 by default)."""
    if basis <= 0:
        raise ValueError("basis must be positive")
    rate = to_decimal(annual_rate)
    return Money(principal.amount * rate * days / basis, principal.currency)


def compound(principal: Money, annual_rate: object, years: int, periods_per_year: int = 12) -> Money:
    """Return the value of ``principal`` after compounding for ``years`` years."""
    if periods_per_year <= 0:
        raise ValueError("periods_per_year must be positive")
    rate = to_decimal(annual_rate) / periods_per_year
    value = principal.amount * (1 + rate) ** (years * periods_per_year)
    return Money(value, principal.currency)


# ---------------------------------------------------------------------------
# Recurring transactions
# ---------------------------------------------------------------------------


class Frequency(Enum):
    """How often a recurring transaction repeats."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


def occurrences(
    first: dt.date, frequency: Frequency, until: dt.date, *, limit: int | None = None
) -> list[dt.date]:
    """Return the dates from ``first`` up to and including ``until``.

    Monthly, quarterly and yearly schedules keep the day of month of
    ``first`` where possible: a schedule starting on 31 January falls on
    29 February in a leap year and then on 31 March again.
    """
    dates = []
    n = 0
    while limit is None or len(dates) < limit:
        if frequency is Frequency.WEEKLY:
            date = first + dt.timedelta(weeks=n)
        elif frequency is Frequency.BIWEEKLY:
            date = first + dt.timedelta(weeks=2 * n)
        elif frequency is Frequency.MONTHLY:
            date = add_months(first, n)
        elif frequency is Frequency.QUARTERLY:
            date = add_months(first, 3 * n)
        else:
            date = add_months(first, 12 * n)
        if date > until:
            break
        dates.append(date)
        n += 1
    return dates


@dataclass
class Recurring:
    """A template for a transaction that repeats on a schedule."""

    payee: str
    postings: list[tuple[str, Money | None]]
    first: dt.date
    frequency: Frequency = Frequency.MONTHLY

    def generate(self, until: dt.date) -> list[Transaction]:
        """Return the transactions due from ``first`` up to ``until``."""
        return [
            Transaction(date, self.payee, balance_missing_amount(self.postings))
            for date in occurrences(self.first, self.frequency, until)
        ]

    def next_due(self, after: dt.date) -> dt.date:
        """Return the first occurrence strictly after ``after``."""
        horizon = after + dt.timedelta(days=400)
        for date in occurrences(self.first, self.frequency, horizon):
            if date > after:
                return date
        raise LedgerError("no occurrence within a year")  # pragma: no cover


# ---------------------------------------------------------------------------
# Journal text format
# ---------------------------------------------------------------------------

_HEADER = re.compile(
    r"^(?P<date>\d{4}[-/]\d{2}[-/]\d{2})"
    r"(?:\s+(?P<status>[*!]))?"
    r"(?:\s+\((?P<code>[^)]*)\))?"
    r"\s+(?P<payee>[^;]*?)"
    r"\s*(?:;\s*(?P<note>.*))?$"
)
_AMOUNT = re.compile(
    r"^(?P<pre>[A-Z]{3}|[$\u20ac\u00a3\u00a5])?\s*(?P<num>[-+]?[\d.,]+)\s*(?P<post>[A-Z]{3})?$"
)
_SYMBOL_CODES = {"$": "USD", "\u20ac": "EUR", "\u00a3": "GBP", "\u00a5": "JPY"}
_TAG = re.compile(r"(\w[\w-]*):\s*([^,]*)")


def _parse_date(text: str, number: int) -> dt.date:
    try:
        return dt.date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        raise JournalError(f"invalid date {text!r}", number) from None


def _parse_amount(text: str, default_currency: str) -> Money:
    match = _AMOUNT.match(text)
    if not match:
        raise JournalError(f"cannot read amount {text!r}")
    pre, num, post = match.group("pre"), match.group("num"), match.group("post")
    if pre and post:
        raise JournalError(f"two currencies in amount {text!r}")
    currency = _SYMBOL_CODES.get(pre or "", pre) or post or default_currency
    return Money(Decimal(num.replace(",", "")), currency)


def _parse_tags(note: str) -> dict[str, str]:
    return {key: value.strip() for key, value in _TAG.findall(note)}


def parse_journal(text: str, *, currency: str = DEFAULT_CURRENCY, strict: bool = False) -> Journal:
    """Read a journal in the plain-text format written by :func:`format_journal`.

    The format::

        ; comments start with a semicolon (or # at the start of a line)
        open 2024-01-01 Assets:Bank:Checking
        2024-01-05 * (1001) Corner Shop  ; groceries, receipt: 1234
            Expenses:Food          45.20 USD
            Assets:Bank:Checking

    A transaction header holds the date, an optional status (``*`` cleared,
    ``!`` pending), an optional code in parentheses, the payee and an
    optional note after ``;`` in which ``key: value`` pairs become tags.
    The indented posting lines name an account, then at least two spaces (or
    a tab) and an amount; one posting per transaction may omit its amount.
    ``open DATE ACCOUNT`` and ``close DATE ACCOUNT`` declare accounts.

    Any problem raises :class:`JournalError` with the line number.
    """
    journal = Journal(strict=strict, currency=currency)
    header: tuple[int, dt.date, str, Status, str, str] | None = None
    postings: list[tuple[str, Money | None]] = []

    def finish() -> None:
        nonlocal header, postings
        if header is None:
            return
        number, date, payee, status, code, note = header
        try:
            filled = balance_missing_amount(postings)
            journal.add(
                Transaction(date, payee, filled, status, code, note, _parse_tags(note))
            )
        except LedgerError as exc:
            raise JournalError(str(exc), number) from None
        header = None
        postings = []

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith(";") or line.startswith("#"):
            continue
        if raw[:1] in (" ", "\t"):
            if header is None:
                raise JournalError("posting outside a transaction", number)
            body = stripped.split(";", 1)[0].rstrip()
            parts = re.split(r"\s{2,}|\t", body, maxsplit=1)
            account = parts[0].strip()
            try:
                validate_account_name(account)
            except LedgerError as exc:
                raise JournalError(str(exc), number) from None
            amount = _parse_amount(parts[1].strip(), currency) if len(parts) > 1 else None
            postings.append((account, amount))
            continue
        finish()
        directive = stripped.split()
        if directive[0] in ("open", "close"):
            if len(directive) < 3:
                raise JournalError(f"{directive[0]} needs a date and an account", number)
            date = _parse_date(directive[1], number)
            name = " ".join(directive[2:])
            try:
                if directive[0] == "open":
                    journal.open_account(name, date)
                else:
                    journal.close_account(name, date)
            except LedgerError as exc:
                raise JournalError(str(exc), number) from None
            continue
        match = _HEADER.match(stripped)
        if not match:
            raise JournalError(f"cannot parse {stripped!r}", number)
        header = (
            number,
            _parse_date(match.group("date"), number),
            match.group("payee").strip(),
            Status(match.group("status") or ""),
            match.group("code") or "",
            (match.group("note") or "").strip(),
        )
    finish()
    return journal


def format_amount(amount: Money) -> str:
    """Format an amount the way journal files write it: ``-45.20 USD``."""
    return f"{amount.amount} {amount.currency}"


def format_transaction(transaction: Transaction, *, width: int = 48) -> str:
    """Format one transaction in journal syntax with aligned amounts."""
    parts = [transaction.date.isoformat()]
    if transaction.status is not Status.UNCLEARED:
        parts.append(transaction.status.value)
    if transaction.code:
        parts.append(f"({transaction.code})")
    parts.append(transaction.payee)
    header = " ".join(parts)
    if transaction.note:
        header += f"  ; {transaction.note}"
    lines = [header]
    for posting in transaction.postings:
        amount = format_amount(posting.amount)
        gap = max(2, width - 4 - len(posting.account) - len(amount))
        line = f"    {posting.account}{' ' * gap}{amount}"
        if posting.memo:
            line += f"  ; {posting.memo}"
        lines.append(line)
    return "\n".join(lines)


def format_journal(journal: Journal) -> str:
    """Write the whole journal as text that :func:`parse_journal` reads back."""
    return "\n\n".join(format_transaction(t) for t in journal) + ("\n" if len(journal) else "")


# ---------------------------------------------------------------------------
# CSV import and export
# ---------------------------------------------------------------------------


@dataclass
class CsvMapping:
    """Which columns of a bank statement CSV hold which fields.

    Either ``amount`` is set (one signed column) or both ``debit`` and
    ``credit`` are (two unsigned columns, money out and money in).
    """

    date: str = "Date"
    payee: str = "Description"
    amount: str | None = "Amount"
    debit: str | None = None
    credit: str | None = None
    date_format: str = "%Y-%m-%d"
    currency: str = DEFAULT_CURRENCY


@dataclass
class Rule:
    """Categorisation rule: payees matching ``pattern`` go to ``account``."""

    pattern: str
    account: str

    def matches(self, payee: str) -> bool:
        """Return True if the payee matches (a case-insensitive regex search)."""
        return re.search(self.pattern, payee, re.IGNORECASE) is not None


def categorize(payee: str, rules: Sequence[Rule], default: str = "Expenses:Unknown") -> str:
    """Return the account of the first rule matching ``payee``."""
    for rule in rules:
        if rule.matches(payee):
            return rule.account
    return default


def _csv_amount(row: dict[str, str], mapping: CsvMapping) -> Money:
    if mapping.amount:
        return Money(row[mapping.amount] or "0", mapping.currency)
    if not (mapping.debit and mapping.credit):
        raise LedgerError("mapping needs an amount column or debit and credit columns")
    out = Money(row[mapping.debit] or "0", mapping.currency)
    into = Money(row[mapping.credit] or "0", mapping.currency)
    return into - out


def import_csv(
    text: str,
    bank_account: str,
    rules: Sequence[Rule] = (),
    mapping: CsvMapping | None = None,
    *,
    default_account: str = "Expenses:Unknown",
) -> list[Transaction]:
    """Turn a bank statement CSV into transactions against ``bank_account``.

    Positive amounts are money coming into the bank account.  The other
    side of every transaction is chosen with :func:`categorize`; incoming
    money without a matching rule goes to ``Income:Unknown``.
    """
    mapping = mapping or CsvMapping()
    transactions = []
    for index, row in enumerate(csv.DictReader(io.StringIO(text)), 2):
        try:
            date = dt.datetime.strptime(row[mapping.date].strip(), mapping.date_format).date()
            amount = _csv_amount(row, mapping)
        except (KeyError, ValueError) as exc:
            raise JournalError(f"bad CSV row: {exc}", index) from None
        payee = row[mapping.payee].strip()
        fallback = default_account if amount.is_negative() else "Income:Unknown"
        other = categorize(payee, rules, fallback)
        transactions.append(simple_transaction(date, payee, bank_account, other, amount))
    return transactions


def export_csv(journal: Journal, account: str | None = None) -> str:
    """Write one CSV row per posting: date, payee, account, amount, currency."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "payee", "account", "amount", "currency"])
    for transaction, posting in journal.postings(account):
        writer.writerow(
            [
                transaction.date.isoformat(),
                transaction.payee,
                posting.account,
                str(posting.amount.amount),
                posting.amount.currency,
            ]
        )
    return out.getvalue()


# ---------------------------------------------------------------------------
# Reconciliation
# ---------------------------------------------------------------------------


@dataclass
class StatementLine:
    """A line of a bank statement to reconcile against the journal."""

    date: dt.date
    amount: Money
    description: str = ""


@dataclass
class Reconciliation:
    """Result of matching statement lines to journal postings."""

    matched: list[tuple[StatementLine, Transaction]]
    missing_in_journal: list[StatementLine]
    missing_in_statement: list[Transaction]

    @property
    def ok(self) -> bool:
        """True when every line matched and nothing is left over."""
        return not self.missing_in_journal and not self.missing_in_statement


def reconcile(
    journal: Journal,
    account: str,
    statement: Sequence[StatementLine],
    *,
    tolerance_days: int = 3,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Reconciliation:
    """Match bank ``statement`` lines with the journal's postings to ``account``.

    A line matches a transaction that posts exactly the same amount to the
    account within ``tolerance_days`` days; each transaction matches at most
    one line, and the closest date wins.  Transactions outside
    ``start <= date < end`` are ignored.
    """
    candidates = [
        t
        for t in journal.between(start, end)
        if any(is_descendant(p.account, account) for p in t.postings)
    ]
    used: set[int] = set()
    matched = []
    missing = []
    for line in sorted(statement, key=lambda s: s.date):
        best: tuple[int, int] | None = None
        for index, transaction in enumerate(candidates):
            if index in used or transaction.amount_for(account) != line.amount:
                continue
            distance = abs((transaction.date - line.date).days)
            if distance <= tolerance_days and (best is None or distance < best[0]):
                best = (distance, index)
        if best is None:
            missing.append(line)
        else:
            used.add(best[1])
            matched.append((line, candidates[best[1]]))
    leftover = [t for i, t in enumerate(candidates) if i not in used]
    return Reconciliation(matched, missing, leftover)


def round_half_even(value: Decimal, places: int = 2) -> Decimal:
    """Round ``value`` to ``places`` decimals with banker's rounding."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
