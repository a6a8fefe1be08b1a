"""The audit trail names every triage action in the reader's language, never by its code."""

import pytest
from django.utils import translation

from sigurnet.core.selectors import audit_action_label
from sigurnet.hotline.triage.services import TriageAction

ACTIONS = sorted(
    value for name, value in vars(TriageAction).items() if name.isupper() and "." in value
)


@pytest.mark.parametrize("action", ACTIONS)
def test_every_triage_action_has_a_name_in_the_audit_trail(action):
    assert audit_action_label(action) != action


@pytest.mark.parametrize(
    ("language", "name"),
    [("en", "Report taken"), ("sr-latn", "Prijava preuzeta"), ("sr", "Пријава преузета")],
)
def test_a_claim_is_named_in_the_readers_language(language, name):
    with translation.override(language):
        assert audit_action_label(TriageAction.CLAIMED) == name
