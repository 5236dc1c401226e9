import datetime as dt

import pytest

from ledger.book import (
    Journal,
    JournalError,
    UnbalancedTransaction,
    add_months,
    amortization_schedule,
    format_journal,
    income_statement,
    loan_payment,
    parse_journal,
    simple_transaction,
)
from ledger.money import Money

D = dt.date

SAMPLE = """\
; household journal
open 2024-01-01 Assets:Bank:Checking
2024-01-01 * Opening balance
    Assets:Bank:Checking      1000.00 USD
    Equity:Opening
2024-01-05 * (1001) Corner Shop  ; receipt: 77
    Expenses:Food               45.20 USD
    Assets:Bank:Checking
2024-01-31 Employer
    Assets:Bank:Checking      2500.00 USD
    Income:Salary
"""


def test_parse_sample():
    journal = parse_journal(SAMPLE)
    assert len(journal) == 3
    food = list(journal)[1]
    assert food.code == "1001"
    assert food.tags == {"receipt": "77"}
    assert journal.balance("Assets") == Money("3454.80")


def test_round_trip_format():
    journal = parse_journal(SAMPLE)
    again = parse_journal(format_journal(journal))
    assert [t.payee for t in again] == [t.payee for t in journal]
    assert again.balance("Expenses") == Money("45.20")


def test_unbalanced_reports_line():
    text = "2024-01-01 x\n    Assets:Cash  1 USD\n    Expenses:Food  2 USD\n"
    with pytest.raises(JournalError) as info:
        parse_journal(text)
    assert info.value.line == 1


def test_unbalanced_transaction():
    journal = Journal()
    bad = simple_transaction(D(2024, 1, 1), "x", "Assets:Cash", "Income:Gift", Money("5"))
    bad.postings[1].amount = Money("-4")
    with pytest.raises(UnbalancedTransaction):
        journal.add(bad)


def test_balance_without_date():
    journal = parse_journal(SAMPLE)
    assert journal.balance("Income") == Money("-2500.00")


def test_income_statement():
    journal = parse_journal(SAMPLE)
    statement = income_statement(journal, D(2024, 1, 1), D(2024, 2, 1))
    assert statement.totals["Net income"] == Money("2454.80")


def test_add_months_clamps():
    assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert add_months(D(2023, 12, 15), 2) == D(2024, 2, 15)


def test_loan_payment():
    assert loan_payment(Money("10000"), "0.06", 12) == Money("860.66")


def test_schedule_interest_first_month():
    rows = amortization_schedule(Money("10000"), "0.06", 12, D(2024, 1, 15))
    assert rows[0].interest == Money("50.00")
    assert rows[0].date == D(2024, 2, 15)
    assert len(rows) == 12
