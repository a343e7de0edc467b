"""Which entries each role's navigation shows, and what each entry opens.

An entry is a page (a widget built from the AppContext) or an action (a dialog). The first page of a
role is its home. ``key`` names an entry for ``--view`` and for the remembered last view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QWidget

from ui.context import AppContext


@dataclass(frozen=True)
class Entry:
    key: str
    title: Callable[[], str]  # translated when shown, so a language switch re-reads it
    page: Callable[[AppContext], QWidget] | None = None
    action: str | None = None  # "log_touchpoint", "record_visit"
    disabled_reason: Callable[[], str] | None = None


def _customers(scope: str) -> Callable[[AppContext], QWidget]:
    def make(context: AppContext) -> QWidget:
        from ui.pages.customers_page import CustomersPage

        return CustomersPage(context, scope)

    return make


def _todays_plan(context: AppContext) -> QWidget:
    from ui.pages.todays_plan_page import TodaysPlanPage

    return TodaysPlanPage(context)


def _team_activity(context: AppContext) -> QWidget:
    from ui.pages.team_activity_page import TeamActivityPage

    return TeamActivityPage(context)


def _approvals(context: AppContext) -> QWidget:
    from ui.pages.approvals_page import ApprovalsPage

    return ApprovalsPage(context)


def _quotes(context: AppContext) -> QWidget:
    from ui.pages.quotes_page import QuotesPage

    return QuotesPage(context)


def _products(context: AppContext) -> QWidget:
    from ui.pages.products_page import ProductsPage

    return ProductsPage(context)


def _rates(context: AppContext) -> QWidget:
    from ui.pages.rates_page import RatesPage

    return RatesPage(context)


def _approval_policy(context: AppContext) -> QWidget:
    from ui.pages.policy_page import ApprovalPolicyPage

    return ApprovalPolicyPage(context)


def _visit_rules(context: AppContext) -> QWidget:
    from ui.pages.visit_rules_page import VisitRulesPage

    return VisitRulesPage(context)


def _visit_review(context: AppContext) -> QWidget:
    from ui.pages.visit_review_page import VisitReviewPage

    return VisitReviewPage(context)


def _sync_problems(context: AppContext) -> QWidget:
    from ui.pages.sync_problems_page import SyncProblemsPage

    return SyncProblemsPage(context)


MY_CUSTOMERS = Entry("my_customers", lambda: QCoreApplication.translate("workbench", "My customers"), _customers("mine"))
TODAYS_PLAN = Entry("todays_plan", lambda: QCoreApplication.translate("workbench", "Today's plan"), _todays_plan)
LOG_TOUCHPOINT = Entry("log_touchpoint", lambda: QCoreApplication.translate("workbench", "Log a touchpoint…"), action="log_touchpoint")
RECORD_VISIT = Entry("record_visit", lambda: QCoreApplication.translate("workbench", "Record a visit…"),
                     action="record_visit")
VISIT_RULES = Entry("visit_rules", lambda: QCoreApplication.translate("workbench", "Visit rules"), _visit_rules)
VISIT_REVIEW = Entry("visit_review", lambda: QCoreApplication.translate("workbench", "Visit review"), _visit_review)
TEAM_ACTIVITY = Entry("team_activity", lambda: QCoreApplication.translate("workbench", "Team activity"), _team_activity)
BY_OWNER = Entry("customers_by_owner", lambda: QCoreApplication.translate("workbench", "Customers by owner"), _customers("team"))
ALL_CUSTOMERS = Entry("customers", lambda: QCoreApplication.translate("workbench", "Customers"), _customers("all"))
APPROVALS = Entry("approvals", lambda: QCoreApplication.translate("workbench", "Approvals inbox"), _approvals)
QUOTES = Entry("quotes", lambda: QCoreApplication.translate("workbench", "Quotes"), _quotes)
PRODUCTS = Entry("products", lambda: QCoreApplication.translate("workbench", "Products"), _products)
RATES = Entry("rates", lambda: QCoreApplication.translate("workbench", "Exchange rates"), _rates)
APPROVAL_POLICY = Entry("approval_policy", lambda: QCoreApplication.translate("workbench", "Approval policy"),
                        _approval_policy)
AFTER_SALES = Entry("after_sales", lambda: QCoreApplication.translate("workbench", "After-sales"),
                    disabled_reason=lambda: QCoreApplication.translate(
                        "workbench", "The after-sales pool is not available yet; it arrives in a later version."))

SYNC_PROBLEMS = Entry("sync_problems", lambda: QCoreApplication.translate("workbench", "Sync problems"),
                      _sync_problems)

# Products, rates and the approval policy: kept by finance (the policy by the finance director),
# read by everyone who quotes or approves - a rep sees why a quote waits, and at which rate.
ENTRIES: dict[str, list[Entry]] = {
    "field_rep": [MY_CUSTOMERS, TODAYS_PLAN, LOG_TOUCHPOINT, RECORD_VISIT, QUOTES, PRODUCTS, RATES],
    "channel_manager": [MY_CUSTOMERS, TODAYS_PLAN, LOG_TOUCHPOINT, RECORD_VISIT, QUOTES, PRODUCTS, RATES],
    # managers approve quotes whose discount the policy sends to them
    "sales_manager": [TEAM_ACTIVITY, BY_OWNER, VISIT_REVIEW, QUOTES, APPROVALS, TODAYS_PLAN, LOG_TOUCHPOINT,
                      RECORD_VISIT, VISIT_RULES, PRODUCTS, RATES, APPROVAL_POLICY],
    "key_account_director": [TEAM_ACTIVITY, BY_OWNER, VISIT_REVIEW, QUOTES, APPROVALS, TODAYS_PLAN,
                             LOG_TOUCHPOINT, RECORD_VISIT, VISIT_RULES, PRODUCTS, RATES, APPROVAL_POLICY],
    "finance": [APPROVALS, QUOTES, RATES, PRODUCTS, APPROVAL_POLICY, ALL_CUSTOMERS],
    "finance_director": [APPROVALS, QUOTES, APPROVAL_POLICY, RATES, PRODUCTS, ALL_CUSTOMERS],
    "service_engineer": [ALL_CUSTOMERS, AFTER_SALES, LOG_TOUCHPOINT],
    "admin": [ALL_CUSTOMERS, TEAM_ACTIVITY, VISIT_RULES, PRODUCTS, RATES, APPROVAL_POLICY],
}
for _entries in ENTRIES.values():
    _entries.append(SYNC_PROBLEMS)  # every role, at the end


def entries_for(role: str) -> list[Entry]:
    return ENTRIES.get(role, [ALL_CUSTOMERS, SYNC_PROBLEMS])
