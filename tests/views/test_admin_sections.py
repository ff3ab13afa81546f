"""The Admin page keeps the secretariat where it acted (issue 20, defect 6).

After an action the page reruns; with tabs it opened Submissions again, showed an error under the tab the user
had left and emptied the form. One section at a time, kept in the session, fixes all three.
"""

from __future__ import annotations

from mapping.store import auth, db, registry
from tests.views.test_admin_page import admin, admin_env, deployment, flash, open_admin, problems, tab

__all__ = ["admin_env", "deployment"]  # fixtures shared with the Admin page tests


def test_a_refused_form_keeps_its_section_its_values_and_shows_the_error_there(admin_env):
    at = open_admin(admin())
    tab(at, "Accounts")
    at.text_input(key="user_new_email").input("new.focal@twa.test")
    at.selectbox(key="user_new_role").set_value("viewer")
    at.text_input(key="user_new_password").input("short")
    next(b for b in at.button if b.label == "Add account").click().run()
    assert at.exception == []
    assert at.button_group(key="admin_section").value == "Accounts"
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "The password is too short" in errors[0]
    assert at.text_input(key="user_new_email").value == "new.focal@twa.test"  # nothing to type again
    assert auth.user_for_email(db.connect(), "new.focal@twa.test") is None


def test_an_action_that_works_stays_in_its_section_and_empties_the_form(admin_env):
    at = open_admin(admin())
    tab(at, "Organisations")
    at.text_input(key="org_new_name").input("Thar Water Alliance")
    at.text_input(key="org_new_acronym").input("TWA")
    next(b for b in at.button if b.label == "Add organisation").click().run()
    assert problems(at) == []
    assert at.button_group(key="admin_section").value == "Organisations"
    assert flash(at) == ["Added Thar Water Alliance."]
    assert at.text_input(key="org_new_name").value == ""
    assert "Thar Water Alliance" in [o["name"] for o in registry.list_orgs(db.connect())]
    at.run()  # a later rerun (any click) still shows the same section
    assert at.button_group(key="admin_section").value == "Organisations"


def test_a_focal_point_account_without_organisation_is_told_in_page_words(admin_env):
    at = open_admin(admin())
    tab(at, "Accounts")
    at.text_input(key="user_new_email").input("lost@twa.test")
    next(b for b in at.button if b.label == "Add account").click().run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "choose the organisation" in errors[0] and "--org" not in errors[0]
