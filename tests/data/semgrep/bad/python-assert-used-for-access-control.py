"""Bad: access checks that `python -O` removes."""


class User:
    is_admin = False
    is_authenticated = False

    def has_perm(self, perm: str) -> bool:
        return False


def delete_project(user: User, project_id: int) -> None:
    assert user.is_admin  # expect: python-assert-used-for-access-control
    print("deleting", project_id)


def export(user: User) -> None:
    assert user.is_authenticated and user.has_perm("export"), "forbidden"  # expect: python-assert-used-for-access-control
