"""product.create / product.update: what can be quoted, with its unit and list price in CNY or USD.

Products are the company's catalogue, synced to every desktop: finance, the finance director, sales
managers and admins keep it; reps quote from it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import errors
from desktop.errors import Label
from desktop.models import CURRENCIES, Product
from desktop.mutations.common import by_id, ensure_new, inserted, updated
from desktop.mutations.fields import Field, optional
from desktop.mutations.registry import Actor, Changes, mutation

PRODUCT = Label("产品", "Product")
CATALOGUE_KEEPERS = frozenset({"finance", "finance_director", "sales_manager", "admin"})
FIELDS = {
    "code": Field(Label("产品编码", "Product code"), required=True, max_len=32),
    "name": Field(Label("产品名称", "Product name"), required=True, max_len=200),
    "unit": Field(Label("单位", "Unit"), required=True, max_len=16),
    "list_price": Field(Label("目录价", "List price"), "money", required=True),
    "currency": Field(Label("币种", "Currency"), "choice", required=True, choices=CURRENCIES),
    "active": Field(Label("在售", "Active"), "bool"),
}


def _may_edit(actor: Actor) -> None:
    if actor.role not in CATALOGUE_KEEPERS:
        raise errors.forbidden("维护产品目录", "change the product catalogue")


def _unique_code(session: Session, code: str, product_id: str) -> None:
    other = session.scalars(select(Product).where(Product.code == code, Product.id != product_id)).first()
    if other is not None:
        raise errors.conflict("code", f"产品编码“{code}”已被“{other.name}”使用。",
                              f"The product code {code!r} is already used by {other.name}.")


@mutation("product.create", {"id": Field(Label("编号", "Id"), "id", required=True), **FIELDS}, id_fields=("id",))
def create_product(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    _may_edit(actor)
    ensure_new(session, Product, args["id"], PRODUCT)
    _unique_code(session, args["code"], args["id"])
    product = Product(id=args["id"], code=args["code"], name=args["name"], unit=args["unit"],
                      list_price=args["list_price"], currency=args["currency"], active=args.get("active", True),
                      created_at=args["at"], updated_at=args["at"], version=1)
    return inserted(session, "product", product)


@mutation("product.update", {"id": Field(PRODUCT, "id", required=True), **optional(FIELDS)})
def update_product(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Change a product. Quotes already made keep their own prices: a line copies what it quotes."""
    _may_edit(actor)
    product = by_id(session, Product, args["id"])
    if product is None:
        raise errors.not_found("id", PRODUCT, args["id"])
    values = {name: args[name] for name in FIELDS if name in args}
    for name, value in values.items():
        if value is None:
            raise errors.missing_field(name, FIELDS[name].label)
    if "code" in values:
        _unique_code(session, values["code"], product.id)
    return updated("product", product, values, tuple(values), args["at"])
