"""Offline sign-in against the locally stored password hash."""

from __future__ import annotations

import pytest

from desktop import auth
from desktop.errors import DomainError
from tests.conftest import PASSWORD, run


def test_sign_in_with_the_right_password(store, org):
    with store.read() as s:
        assert auth.sign_in(s, " Rep ", PASSWORD).id == org["rep"]


@pytest.mark.parametrize("username, password", [("rep", "wrong"), ("nobody", PASSWORD), ("rep", "")])
def test_wrong_credentials_are_refused_without_saying_which(store, org, username, password):
    with store.read() as s, pytest.raises(DomainError) as caught:
        auth.sign_in(s, username, password)
    assert caught.value.code == "bad_credentials" and "用户名或密码" in caught.value.message_zh


def test_a_disabled_user_cannot_sign_in(store, org):
    run(store, org["admin"], "user.update", id=org["rep"], active=False)
    with store.read() as s:
        with pytest.raises(DomainError):
            auth.sign_in(s, "rep", PASSWORD)
        assert org["rep"] not in {u.id for u in auth.users_for_sign_in(s)}
