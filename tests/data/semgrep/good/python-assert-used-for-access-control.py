"""Good: access checks that raise; asserts only for invariants.  good: python-assert-used-for-access-control"""


class User:
    is_admin = False


def delete_project(user: User, project_id: int) -> None:
    if not user.is_admin:
        raise PermissionError("admin only")
    assert isinstance(project_id, int)
    print("deleting", project_id)
